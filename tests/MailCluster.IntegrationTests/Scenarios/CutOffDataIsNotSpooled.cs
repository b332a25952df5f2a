using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class CutOffDataIsNotSpooled
{
    [Fact]
    public async Task MessageWhoseDataWasCutOffLeavesNoTrace()
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path);
        await silo.StartAsync();

        using (var client = new RawSmtpClient())
        {
            await client.ConnectAsync(silo.SmtpPort);
            await client.CommandAsync("EHLO raw.test");
            await client.CommandAsync("MAIL FROM:<a@raw.test>");
            await client.CommandAsync("RCPT TO:<b@dest.test>");
            Assert.StartsWith("354", await client.CommandAsync("DATA"));
            await client.SendAsync("Subject: never finished\r\n\r\nhalf a mess");
        }

        // The silo keeps serving, and the next complete message is the only one in the spool.
        var next = await Swaks.SendAsync(silo.SmtpAddress, "a@client.test", "c@dest.test");
        Assert.True(next.ExitCode == 0, next.ToString());
        await silo.KillAsync();
        Assert.Equal(new Spool.SpoolCounts(1, 1, 0), await SpoolInspector.CountAsync(spool.Path));
    }
}
