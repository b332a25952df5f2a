using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class PlainDeliveryReachesTheMx
{
    [Fact]
    public async Task MessageFoundThroughDnsmasqIsDeliveredAndLeavesTheSpool()
    {
        await using var world = await MailWorld.StartAsync(
            ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.10.2"],
            ["127.0.10.2"]);

        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "bob@dest.test", "--header", "Subject: plain delivery");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        var message = Assert.Single(await world.Sink("127.0.10.2").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
        Assert.Equal("alice@sender.test", message.MailFrom);
        Assert.Equal(["bob@dest.test"], message.RcptTos);
        Assert.Equal(Swaks.QueueId(sent), MailWorld.QueueIdOf(message));
        Assert.Contains("Subject: plain delivery", message.Content, StringComparison.Ordinal);

        await world.WaitForEmptySpoolAsync();
        var log = await world.WaitForLogAsync("\"type\":\"Delivered\"");
        Assert.Single(world.DeliveryLog(), l => l.Contains("\"type\":\"Delivered\"", StringComparison.Ordinal));
        Assert.Contains("\"mx_host\":\"mx.dest.test\"", log, StringComparison.Ordinal);
        Assert.Contains("\"mx_ip\":\"127.0.10.2\"", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddressLiteralRecipientGoesStraightToThatAddress()
    {
        // RFC 5321 4.1.3 / 5.1: no DNS for user@[address]; the zone deliberately knows nothing.
        await using var world = await MailWorld.StartAsync(["address=/unused.test/127.0.0.1"], ["127.0.10.5"]);

        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "bob@[127.0.10.5]");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        var message = Assert.Single(await world.Sink("127.0.10.5").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
        Assert.Equal(["bob@[127.0.10.5]"], message.RcptTos);
        await world.WaitForLogAsync("\"mx_ip\":\"127.0.10.5\"");
    }
}
