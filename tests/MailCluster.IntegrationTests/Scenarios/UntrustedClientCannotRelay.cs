using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class UntrustedClientCannotRelay
{
    [Fact]
    public async Task ClientOutsideTrustedNetworksGets554AtRcptAndNothingIsSpooled()
    {
        using var spool = new TempDirectory();
        // Loopback is not trusted in this configuration, so the test client is an outsider.
        await using var silo = new SiloProcess(spool.Path, "--Smtp:TrustedNetworks=10.0.0.0/8");
        await silo.StartAsync();

        var result = await Swaks.SendAsync(silo.SmtpAddress, "spammer@client.test", "victim@dest.test");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("554 5.7.1 Relay access denied", result.Output, StringComparison.Ordinal);
        Assert.Equal(new Spool.SpoolCounts(0, 0, 0), await SpoolInspector.CountAsync(spool.Path));
    }

    /// <summary>The classic ways to smuggle a relay past a check on the domain alone, with the reply each gets.</summary>
    private static readonly (string Recipient, string Reply)[] s_tricks =
    [
        ("<user%victim.test@dest.test>", "554 5.7.1"), // the percent hack
        ("<victim.test!user@dest.test>", "554 5.7.1"), // a bang path
        ("<@dest.test:user@victim.test>", "554 5.7.1"), // a source route (RFC 5321 C: ignored; the mailbox still relays)
        ("<@dest.test,@other.test:user@victim.test>", "554 5.7.1"),
        ("<\"user@victim.test\"@dest.test>", "554 5.7.1"), // a quoted local part holding @
        ("<user@[192.0.2.1]>", "554 5.7.1"), // an address literal
        ("<user>", "501 5.1.3"), // unqualified
        ("<user@>", "501 5.1.3"),
        ("user@victim.test", "501 5.1.3"), // no angle brackets
    ];

    [Fact]
    public async Task EveryRelayTrickIsRefusedAtRcptAndNothingIsSpooled()
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path, "--Smtp:TrustedNetworks=10.0.0.0/8");
        await silo.StartAsync();
        using var client = new RawSmtpClient();
        Assert.StartsWith("220 ", await client.ConnectAsync(silo.SmtpPort), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("EHLO outsider.test"), StringComparison.Ordinal);

        foreach (var (recipient, reply) in s_tricks)
        {
            Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<spammer@client.test>"), StringComparison.Ordinal);
            var answer = await client.CommandAsync($"RCPT TO:{recipient}");
            Assert.True(answer.StartsWith(reply, StringComparison.Ordinal), $"RCPT TO:{recipient} got '{answer}', not {reply}");
            // RFC 5321 3.3: with every recipient refused, DATA gets 503 or 554.
            Assert.Matches("^(503|554) ", await client.CommandAsync("DATA"));
            Assert.StartsWith("250", await client.CommandAsync("RSET"), StringComparison.Ordinal);
        }
        Assert.Equal(new Spool.SpoolCounts(0, 0, 0), await SpoolInspector.CountAsync(spool.Path));
    }
}
