using System.Net;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class FullSpoolDiskRecoversByDelivering
{
    [Fact]
    public async Task ASpoolFilledUntil452StartsAfterSigkillDeliversEverythingOnceAndAcceptsAgain()
    {
        // arrange: an accept-only silo took mail until its reserve was reached
        await using var filled = await FilledSpoolWorld.StartAsync("127.0.22.2");
        var world = filled.World;
        Assert.InRange(filled.Accepted.Count, 10, 80);
        using (var http = new HttpClient { BaseAddress = world.Silo.HttpAddress })
        using (var ready = await http.GetAsync(new Uri("readyz", UriKind.Relative)))
        {
            var reason = await ready.Content.ReadAsStringAsync();
            Assert.True(ready.StatusCode == HttpStatusCode.ServiceUnavailable && reason.Contains("refusing new mail", StringComparison.Ordinal), reason);
        }

        // act: SIGKILL, then start again on the full disk, delivering this time
        await world.Silo.KillAsync();
        await world.StartSiloAsync(filled.SpoolArguments);

        // assert: every accepted message arrives exactly once, then new mail is taken again
        var sink = world.Sink("127.0.22.2");
        var delivered = await sink.WaitForMessagesAsync(filled.Accepted.Count, TimeSpan.FromSeconds(120), world.Context);
        Assert.Equal(filled.Accepted.Order(), delivered.Select(MailWorld.QueueIdOf).Order());
        var after = await SpoolFiller.SendWhenThereIsRoomAsync(world.Silo.SmtpPort);
        Assert.True(after.StartsWith("250", StringComparison.Ordinal), $"{after}\n{world.Context()}");
        var all = await sink.WaitForMessagesAsync(filled.Accepted.Count + 1, TimeSpan.FromSeconds(60), world.Context);
        Assert.Equal(filled.Accepted.Count + 1, all.Select(MailWorld.QueueIdOf).Distinct().Count());
        Assert.Equal(filled.Accepted.Count + 1, sink.Messages().Count);
    }
}
