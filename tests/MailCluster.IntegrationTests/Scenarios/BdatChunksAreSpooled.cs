using System.Text;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Spool;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>swaks cannot send BDAT, so a raw client pipelines RFC 3030 chunks over a real socket.</summary>
[Trait("Category", "Integration")]
public sealed class BdatChunksAreSpooled
{
    [Fact]
    public async Task PipelinedChunksBecomeOneMessage()
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path);
        await silo.StartAsync();
        using var client = new RawSmtpClient();
        await client.ConnectAsync(silo.SmtpPort);
        Assert.Contains("CHUNKING", await client.CommandAsync("EHLO raw.test"), StringComparison.Ordinal);

        const string first = "Subject: chunked\r\n\r\n";
        const string second = "binary-ish .\r\n.dot stays\r\n";
        await client.SendAsync($"MAIL FROM:<a@raw.test>\r\nRCPT TO:<b@dest.test>\r\nBDAT {first.Length}\r\n{first}BDAT {second.Length} LAST\r\n{second}");
        Assert.StartsWith("250", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.ReadReplyAsync());
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
        var final = await client.ReadReplyAsync();
        Assert.StartsWith("250 2.0.0 Ok: queued as ", final);

        var queueId = final["250 2.0.0 Ok: queued as ".Length..];
        var content = await SpoolInspector.ReadAsync(spool.Path, async s => await s.ReadContentAsync(queueId, CancellationToken.None));
        Assert.EndsWith(first + second, Encoding.ASCII.GetString(content!), StringComparison.Ordinal);
    }
}
