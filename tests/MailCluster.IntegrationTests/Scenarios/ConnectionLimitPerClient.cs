using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class ConnectionLimitPerClient
{
    [Fact]
    public async Task AnUntrustedClientBeyondItsLimitGets421AndASlotFreesOnClose()
    {
        using var spool = new TempDirectory();
        // 127.0.0.1 outside the trusted networks: an untrusted client.
        await using var silo = new SiloProcess(spool.Path, "--Smtp:MaxConnectionsPerClient=2", "--Smtp:TrustedNetworks=192.0.2.0/24");
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

    [Fact]
    public async Task TwoHundredParallelSessionsFromATrustedClientAreAllServed()
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path);
        await silo.StartAsync();

        // Twice the per-client limit (default 100), held open at once from 127.0.0.1 (trusted by default).
        var held = new List<RawSmtpClient>();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var client = new RawSmtpClient();
                held.Add(client);
                Assert.StartsWith("220 ", await client.ConnectAsync(silo.SmtpPort), StringComparison.Ordinal);
            }
            foreach (var client in held)
            {
                Assert.StartsWith("250", await client.CommandAsync("EHLO load.test"), StringComparison.Ordinal);
            }
        }
        finally
        {
            held.ForEach(c => c.Dispose());
        }

        // And a sender's load: 200 sessions in parallel, each sending over its connection.
        var sent = await SmtpSource.SendAsync(silo.SmtpAddress, sessions: 200, messages: 1000, sizeBytes: 1024);
        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Equal(new Spool.SpoolCounts(1000, 1000, 0), await SpoolInspector.CountAsync(spool.Path));
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
