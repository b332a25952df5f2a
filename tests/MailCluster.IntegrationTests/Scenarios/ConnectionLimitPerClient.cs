using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class ConnectionLimitPerClient
{
    [Fact]
    public async Task ConnectionBeyondThePerClientLimitGets421AndASlotFreesOnClose()
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path, "--Smtp:MaxConnectionsPerClient=2");
        await silo.StartAsync();

        using var first = new RawSmtpClient();
        using var second = new RawSmtpClient();
        Assert.StartsWith("220", await first.ConnectAsync(silo.SmtpPort));
        Assert.StartsWith("220", await second.ConnectAsync(silo.SmtpPort));
        using (var third = new RawSmtpClient())
        {
            Assert.Equal("421 4.7.0 Too many connections, try again later", await third.ConnectAsync(silo.SmtpPort));
            Assert.Equal(string.Empty, await third.ReadReplyAsync());
        }

        Assert.StartsWith("221", await second.CommandAsync("QUIT"));
        second.Dispose();
        // The server frees the slot when it sees the close; wait for that, bounded.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        string greeting;
        do
        {
            using var again = new RawSmtpClient();
            greeting = await again.ConnectAsync(silo.SmtpPort);
        }
        while (!greeting.StartsWith("220", StringComparison.Ordinal) && deadline.Elapsed < TimeSpan.FromSeconds(10));
        Assert.StartsWith("220", greeting);
    }
}
