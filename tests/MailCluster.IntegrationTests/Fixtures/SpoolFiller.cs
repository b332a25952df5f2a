namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>Fills a silo's spool over SMTP, one message per session, as a sending MTA would.</summary>
public static class SpoolFiller
{
    public const int MessageBytes = 200 * 1024;

    private const string Queued = "250 2.0.0 Ok: queued as ";

    /// <summary>Sends messages one by one (bounded) until the silo answers 452 4.3.1; returns the queue ids it accepted.</summary>
    public static async Task<List<string>> FillUntilRefusedAsync(int port)
    {
        var accepted = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var reply = await TrySendAsync(port);
            if (reply.StartsWith("452 4.3.1", StringComparison.Ordinal))
            {
                return accepted;
            }
            Assert.StartsWith(Queued, reply, StringComparison.Ordinal);
            accepted.Add(reply[Queued.Length..].Trim());
        }
        throw new InvalidOperationException($"200 messages of {MessageBytes} bytes were taken: the reserve was never reached");
    }

    /// <summary>Sends one message, retrying (bounded) while the silo answers 452, as a sending MTA would; returns the last reply.</summary>
    public static async Task<string> SendWhenThereIsRoomAsync(int port)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var reply = await TrySendAsync(port);
            if (!reply.StartsWith("452", StringComparison.Ordinal) || waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                return reply;
            }
            await Task.Delay(250);
        }
    }

    /// <summary>One message in one session; the 452 may come at MAIL (by its SIZE) or after the content.</summary>
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
