using System.Text;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Spool;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class SwaksMessageIsSpooledWithReceivedHeader
{
    [Fact]
    public async Task PlainAndPipelinedSubmissionsAreSpooledWithTheirEnvelopes()
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path);
        await silo.StartAsync();

        var plain = await Swaks.SendAsync(silo.SmtpAddress, "alice@client.test", "bob@dest.test", "--header", "Subject: plain");
        Assert.True(plain.ExitCode == 0, plain.ToString());
        var pipelined = await Swaks.SendAsync(silo.SmtpAddress, "alice@client.test", "carol@one.test,dave@Two.test", "--pipeline", "--header", "Subject: pipelined");
        Assert.True(pipelined.ExitCode == 0, pipelined.ToString());
        Assert.Contains("PIPELINING", pipelined.Output, StringComparison.Ordinal);

        var (plainMessage, plainContent) = await SpoolInspector.ReadAsync(spool.Path, async s =>
            (await s.GetMessageAsync(Swaks.QueueId(plain), CancellationToken.None), await s.ReadContentAsync(Swaks.QueueId(plain), CancellationToken.None)));
        Assert.Equal("alice@client.test", plainMessage!.Message.Sender);
        Assert.Equal(["bob@dest.test"], plainMessage.Recipients.Select(r => r.Recipient.Address));
        var text = Encoding.UTF8.GetString(plainContent!);
        Assert.StartsWith("Received: from ", text, StringComparison.Ordinal);
        Assert.Contains($"by silo.test (MailCluster) with ESMTP id {Swaks.QueueId(plain)}", text, StringComparison.Ordinal);
        Assert.Contains("for <bob@dest.test>;", text, StringComparison.Ordinal);
        Assert.Contains("Subject: plain", text, StringComparison.Ordinal);

        var pipelinedMessage = await SpoolInspector.ReadAsync(spool.Path, async s => await s.GetMessageAsync(Swaks.QueueId(pipelined), CancellationToken.None));
        Assert.Equal([("carol@one.test", "one.test"), ("dave@Two.test", "two.test")], pipelinedMessage!.Recipients.Select(r => (r.Recipient.Address, r.Recipient.Domain)));
    }
}
