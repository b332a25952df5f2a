using System.Net;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class FullSpoolDiskRecoversByDelivering
{
    private const long FilesystemBytes = 16 * 1024 * 1024;
    private const long ReserveBytes = 4 * 1024 * 1024;
    private const int MessageBytes = 200 * 1024;

    [Fact]
    public async Task ASpoolFilledUntil452StartsAfterSigkillDeliversEverythingOnceAndAcceptsAgain()
    {
        await using var disk = await SmallFilesystem.MountAsync(FilesystemBytes);
        // 1 MiB messages at most: the silo is ready only while one still fits above the reserve.
        var spoolArguments = new[] { $"--Spool:Path={disk.Path}", $"--Spool:MinFreeBytes={ReserveBytes}", "--Smtp:Limits:MaxMessageSize=1048576" };
        await using var world = await MailWorld.StartAsync(
            ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.17.2"],
            ["127.0.17.2"],
            0,
            [.. spoolArguments, "--Delivery:Enabled=false"]);
        using var http = new HttpClient { BaseAddress = world.Silo.HttpAddress };

        // arrange: an accept-only silo takes mail until its reserve is reached
        var accepted = await FillUntilRefusedAsync(world.Silo.SmtpPort);
        Assert.InRange(accepted.Count, 10, 80);
        using (var ready = await http.GetAsync(new Uri("readyz", UriKind.Relative)))
        {
            var reason = await ready.Content.ReadAsStringAsync();
            Assert.True(ready.StatusCode == HttpStatusCode.ServiceUnavailable && reason.Contains("refusing new mail", StringComparison.Ordinal), reason);
        }

        // act: SIGKILL, then start again on the full disk, delivering this time
        await world.Silo.KillAsync();
        await world.StartSiloAsync(spoolArguments);

        // assert: every accepted message arrives exactly once, then new mail is taken again
        var sink = world.Sink("127.0.17.2");
        var delivered = await sink.WaitForMessagesAsync(accepted.Count, TimeSpan.FromSeconds(120), world.Context);
        var ids = delivered.Select(MailWorld.QueueIdOf).ToList();
        Assert.Equal(accepted.Order(), ids.Order());
        var after = await SendOneAsync(world.Silo.SmtpPort, waitForRoom: true);
        Assert.True(after.StartsWith("250", StringComparison.Ordinal), $"{after}\n{world.Context()}");
        var all = await sink.WaitForMessagesAsync(accepted.Count + 1, TimeSpan.FromSeconds(60), world.Context);
        Assert.Equal(accepted.Count + 1, all.Select(MailWorld.QueueIdOf).Distinct().Count());
        Assert.Equal(accepted.Count + 1, sink.Messages().Count);
    }

    /// <summary>Sends messages one by one (bounded) until the silo answers 452 4.3.1; returns the queue ids it accepted.</summary>
    private static async Task<List<string>> FillUntilRefusedAsync(int port)
    {
        var accepted = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var reply = await SendOneAsync(port, waitForRoom: false);
            if (reply.StartsWith("452 4.3.1", StringComparison.Ordinal))
            {
                return accepted;
            }
            Assert.StartsWith("250 2.0.0 Ok: queued as ", reply, StringComparison.Ordinal);
            accepted.Add(reply["250 2.0.0 Ok: queued as ".Length..].Trim());
        }
        throw new InvalidOperationException($"200 messages of {MessageBytes} bytes fit on a {FilesystemBytes}-byte filesystem: the reserve was never reached");
    }

    /// <summary>
    /// One message in one session; the 452 may come at MAIL (room already short) or after the
    /// content (the message itself would cut into the reserve). With <paramref name="waitForRoom"/>,
    /// retries (bounded) while the silo answers 452, as a sending MTA would.
    /// </summary>
    private static async Task<string> SendOneAsync(int port, bool waitForRoom)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var reply = await TrySendAsync(port);
            if (!waitForRoom || !reply.StartsWith("452", StringComparison.Ordinal) || waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                return reply;
            }
            await Task.Delay(250);
        }
    }

    private static async Task<string> TrySendAsync(int port)
    {
        using var client = new RawSmtpClient();
        await client.ConnectAsync(port);
        await client.CommandAsync("EHLO filler.test");
        var mail = await client.CommandAsync($"MAIL FROM:<filler@source.test> SIZE={MessageBytes}");
        if (!mail.StartsWith("250", StringComparison.Ordinal))
        {
            return mail;
        }
        await client.CommandAsync("RCPT TO:<bob@dest.test>");
        await client.CommandAsync("DATA");
        var line = new string('x', 998);
        var body = string.Concat(Enumerable.Repeat(line + "\r\n", MessageBytes / 1000));
        await client.SendAsync($"Subject: filler\r\n\r\n{body}.\r\n");
        var reply = await client.ReadReplyAsync();
        await client.CommandAsync("QUIT");
        return reply;
    }
}
