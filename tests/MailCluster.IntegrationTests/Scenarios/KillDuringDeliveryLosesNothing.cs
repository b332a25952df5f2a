using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class KillDuringDeliveryLosesNothing
{
    [Fact]
    public async Task EveryRecipientIsDeliveredAtLeastOnceAfterSigkillMidDelivery()
    {
        const int messages = 200;
        await using var world = await MailWorld.StartAsync(
            ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.16.2"],
            ["127.0.16.2"],
            sinkDelaySeconds: 0.05,
            "--Shaping:Rules:0:Match=dest.test", "--Shaping:Rules:0:MaxConnections=2");
        var sent = await SmtpSource.SendAsync(world.Silo.SmtpAddress, sessions: 10, messages: messages, sizeBytes: 1024, recipient: "bob@dest.test");
        // smtp-source exits 0 only when every message got its 250: all of them are the silo's responsibility now.
        Assert.True(sent.ExitCode == 0, sent.ToString());

        // act: SIGKILL while delivery is under way, then restart on the same spool
        var sink = world.Sink("127.0.16.2");
        await sink.WaitForMessagesAsync(20, TimeSpan.FromSeconds(60), world.Context);
        await world.Silo.KillAsync();
        var atKill = sink.Messages().Count;
        Assert.True(atKill < messages, $"all {atKill} delivered before the kill; nothing was in flight");
        await world.StartSiloAsync();

        var delivered = await sink.WaitForMessagesAsync(messages, TimeSpan.FromSeconds(120), world.Context);
        await world.WaitForEmptySpoolAsync();
        var distinct = sink.Messages().Select(MailWorld.QueueIdOf).Distinct().Count();
        Assert.Equal(messages, distinct);
        Assert.InRange(delivered.Count, messages, messages + 4);
        Assert.Contains("were being delivered when the silo last stopped", world.Silo.Output, StringComparison.Ordinal);
    }
}
