using System.Text.Json;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class RateLimitReplySlowsTheDomain
{
    [Fact]
    public async Task After421TheDomainPausesForTheBackoffPeriod()
    {
        await using var world = await MailWorld.StartAsync(
            ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.15.2"],
            ["127.0.15.2"],
            0,
            "--Shaping:Default:BackoffPeriod=00:00:04", "--Delivery:Retry:Schedule=00:00:01");

        var first = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "ratelimit-once+bob@dest.test");
        Assert.True(first.ExitCode == 0, first.ToString());
        using var deferral = JsonDocument.Parse(await world.WaitForLogAsync("421 4.7.0"));
        var deferredAt = deferral.RootElement.GetProperty("time").GetDateTimeOffset();

        // The domain is paused: mail accepted now waits for the backoff to end, though its own retry is due sooner.
        var second = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "carol@dest.test");
        Assert.True(second.ExitCode == 0, second.ToString());
        var messages = await world.Sink("127.0.15.2").WaitForMessagesAsync(2, TimeSpan.FromSeconds(30), world.Context);
        var firstDelivery = DateTimeOffset.FromUnixTimeMilliseconds((long)(messages.Min(m => m.Time) * 1000));
        Assert.True(firstDelivery - deferredAt >= TimeSpan.FromSeconds(3.5), $"delivered {firstDelivery - deferredAt} after the 421\n{world.Context()}");
        Assert.Contains("backing off", world.Silo.Output, StringComparison.Ordinal);
        await world.WaitForEmptySpoolAsync();
    }
}
