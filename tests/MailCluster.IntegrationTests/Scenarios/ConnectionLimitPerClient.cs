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

        // The fixture's own readiness probe may hold a slot for a moment after it closed.
        using var first = await GreetedAsync(silo.SmtpPort);
        using var second = await GreetedAsync(silo.SmtpPort);
        using (var third = new RawSmtpClient())
        {
            Assert.Equal("421 4.7.0 Too many connections, try again later", await third.ConnectAsync(silo.SmtpPort));
            Assert.Equal(string.Empty, await third.ReadReplyAsync());
        }

        Assert.StartsWith("221", await second.CommandAsync("QUIT"));
        second.Dispose();
        using var again = await GreetedAsync(silo.SmtpPort);
    }

    /// <summary>Connects until greeted with 220 (bounded): the server frees a slot when it has seen the close.</summary>
    private static async Task<RawSmtpClient> GreetedAsync(int port)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var client = new RawSmtpClient();
            var greeting = await client.ConnectAsync(port);
            if (greeting.StartsWith("220", StringComparison.Ordinal))
            {
                return client;
            }
            client.Dispose();
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"no free slot within 10 s; last reply {greeting}");
        }
    }
}
