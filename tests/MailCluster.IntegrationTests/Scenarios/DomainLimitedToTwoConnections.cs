using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class DomainLimitedToTwoConnections
{
    [Fact]
    public async Task FiveHundredMessagesDrainWithoutEverAThirdConnection()
    {
        await using var world = await MailWorld.StartAsync(
            ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.14.2"],
            ["127.0.14.2"],
            sinkDelaySeconds: 0.01,
            "--Shaping:Rules:0:Match=dest.test", "--Shaping:Rules:0:MaxConnections=2", "--Shaping:Rules:0:MaxMessagesPerConnection=50");

        var sent = await SmtpSource.SendAsync(world.Silo.SmtpAddress, sessions: 10, messages: 500, sizeBytes: 1024, recipient: "bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        var sink = world.Sink("127.0.14.2");
        var messages = await sink.WaitForMessagesAsync(500, TimeSpan.FromSeconds(120), world.Context);
        Assert.Equal(500, messages.Select(MailWorld.QueueIdOf).Distinct().Count());
        Assert.InRange(sink.MaxConcurrentConnections(), 1, 2);
        await world.WaitForEmptySpoolAsync();
    }
}
