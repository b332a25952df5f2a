using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class PermanentFailureBouncesToTheSender
{
    private static readonly string[] s_zone =
    [
        "mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.12.2",
        "mx-host=sender.test,mx.sender.test,10", "host-record=mx.sender.test,127.0.12.3",
        "dns-rr=nullmx.test,15,000000",
    ];

    [Fact]
    public async Task RejectedRecipientGetsADsnDeliveredToTheSendersDomain()
    {
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.12.2", "127.0.12.3"]);

        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "reject+bob@dest.test,carol@dest.test", "--header", "Subject: will partly bounce");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        var delivered = Assert.Single(await world.Sink("127.0.12.2").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
        Assert.Equal(["carol@dest.test"], delivered.RcptTos);
        var dsn = Assert.Single(await world.Sink("127.0.12.3").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
        // RFC 3464 / RFC 5321 4.5.5: a DSN comes from the null reverse-path (aiosmtpd shows it as "<>"), as a multipart/report.
        Assert.Equal("<>", dsn.MailFrom);
        Assert.Equal(["alice@sender.test"], dsn.RcptTos);
        Assert.Contains("multipart/report", dsn.Content, StringComparison.Ordinal);
        Assert.Contains("report-type=delivery-status", dsn.Content, StringComparison.Ordinal);
        Assert.Contains("Final-Recipient: rfc822; reject+bob@dest.test", dsn.Content, StringComparison.Ordinal);
        Assert.Contains("Action: failed", dsn.Content, StringComparison.Ordinal);
        Assert.Contains("Status: 5.1.1", dsn.Content, StringComparison.Ordinal);
        Assert.Contains("550 5.1.1 No such user here", dsn.Content, StringComparison.Ordinal);
        Assert.Contains("Subject: will partly bounce", dsn.Content, StringComparison.Ordinal);
        Assert.DoesNotContain("carol@dest.test", dsn.Content.Split("Content-Type: text/rfc822-headers")[0], StringComparison.Ordinal);
        await world.WaitForEmptySpoolAsync();
    }

    [Fact]
    public async Task NullMxDomainBouncesWithoutAnyConnection()
    {
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.12.2", "127.0.12.3"]);

        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "bob@nullmx.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        var dsn = Assert.Single(await world.Sink("127.0.12.3").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
        Assert.Equal("<>", dsn.MailFrom);
        Assert.Contains("Status: 5.1.10", dsn.Content, StringComparison.Ordinal);
        Assert.Contains("null MX", dsn.Content, StringComparison.Ordinal);
        Assert.Empty(world.Sink("127.0.12.2").Messages());
        await world.WaitForEmptySpoolAsync();
    }

    [Fact]
    public async Task BounceOfANullSenderMessageIsDroppedNotReturned()
    {
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.12.2", "127.0.12.3"]);

        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "<>", "reject+bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        await world.WaitForEmptySpoolAsync();
        await world.WaitForLogAsync("\"type\":\"Bounced\"");
        Assert.Empty(world.Sink("127.0.12.3").Messages());
    }
}
