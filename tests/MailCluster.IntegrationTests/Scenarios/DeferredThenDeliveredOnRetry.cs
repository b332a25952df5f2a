using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class DeferredThenDeliveredOnRetry
{
    [Fact]
    public async Task TemporaryFailureIsRetriedOnScheduleAndDelivered()
    {
        await using var world = await MailWorld.StartAsync(
            ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.11.2"],
            ["127.0.11.2"]);

        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "defer-once+bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        // The retry schedule in this world is 2 s: the first attempt gets 451, the second 250.
        var message = Assert.Single(await world.Sink("127.0.11.2").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
        Assert.Equal(["defer-once+bob@dest.test"], message.RcptTos);
        await world.WaitForEmptySpoolAsync();
        await world.WaitForLogAsync("\"type\":\"Delivered\"");
        var log = world.DeliveryLog();
        Assert.Contains(log, l => l.Contains("\"type\":\"Deferred\"", StringComparison.Ordinal) && l.Contains("451 4.3.0 Try again later", StringComparison.Ordinal) && l.Contains("\"attempt\":1", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("\"type\":\"Delivered\"", StringComparison.Ordinal) && l.Contains("\"attempt\":2", StringComparison.Ordinal));
    }
}
