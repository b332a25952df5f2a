using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Spool;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class SigtermDrainsWithoutLoss
{
    [Fact]
    public async Task TransactionInFlightCompletesIdleSessionGets421AndTheSiloExitsZero()
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path);
        await silo.StartAsync();
        using var inFlight = new RawSmtpClient();
        using var idle = new RawSmtpClient();
        await idle.ConnectAsync(silo.SmtpPort);
        await idle.CommandAsync("EHLO idle.test");
        await inFlight.ConnectAsync(silo.SmtpPort);
        await inFlight.CommandAsync("EHLO busy.test");
        await inFlight.CommandAsync("MAIL FROM:<a@busy.test>");
        await inFlight.CommandAsync("RCPT TO:<b@dest.test>");
        Assert.StartsWith("354", await inFlight.CommandAsync("DATA"));
        await inFlight.SendAsync("Subject: sent across a SIGTERM\r\n\r\nfirst half\r\n");

        // act
        var term = await ExternalCommand.RunAsync("kill", ["-TERM", silo.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        Assert.True(term.ExitCode == 0, term.ToString());

        // assert: the idle session is told to come back; the transaction finishes with a real 250
        Assert.Equal("421 4.3.2 Service shutting down, try again later", await idle.ReadReplyAsync());
        await inFlight.SendAsync("second half\r\n.\r\n");
        var queued = await inFlight.ReadReplyAsync();
        Assert.StartsWith("250 2.0.0 Ok: queued as ", queued);
        Assert.StartsWith("421 4.3.2", await inFlight.ReadReplyAsync());
        Assert.Equal(0, await silo.WaitForExitAsync(TimeSpan.FromSeconds(40)));

        var queueId = queued["250 2.0.0 Ok: queued as ".Length..];
        var content = await SpoolInspector.ReadAsync(spool.Path, async s => await s.ReadContentAsync(queueId, CancellationToken.None));
        Assert.EndsWith("first half\r\nsecond half\r\n", System.Text.Encoding.ASCII.GetString(content!), StringComparison.Ordinal);
    }
}
