using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class KillAfterLastReplyLosesNothing
{
    [Fact]
    public async Task EveryAcknowledgedMessageIsThereAfterSigkillAndRestart()
    {
        const int messages = 400;
        using var spool = new TempDirectory();
        await using (var silo = new SiloProcess(spool.Path))
        {
            await silo.StartAsync();
            var result = await SmtpSource.SendAsync(silo.SmtpAddress, sessions: 20, messages: messages, sizeBytes: 1024);
            Assert.True(result.ExitCode == 0, result.ToString());
            // act: SIGKILL right after the last 250, before any orderly shutdown could flush anything
            await silo.KillAsync();
        }

        await using var restarted = new SiloProcess(spool.Path);
        await restarted.StartAsync();
        Assert.Contains($"holds {messages} message(s), {messages} queued recipient(s)", restarted.Output, StringComparison.Ordinal);
        Assert.Equal(new Spool.SpoolCounts(messages, messages, 0), await SpoolInspector.CountAsync(spool.Path));
        var accepted = await Swaks.SendAsync(restarted.SmtpAddress, "a@client.test", "b@dest.test");
        Assert.True(accepted.ExitCode == 0, accepted.ToString());
    }
}
