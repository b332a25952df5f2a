using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class PrimaryMxDeadUsesSecondary
{
    [Fact]
    public async Task NothingListeningOnThePrimarySendsTheMessageToTheBackup()
    {
        // 127.0.13.2 has no listener: the connection is refused and the backup MX gets the message.
        await using var world = await MailWorld.StartAsync(
            ["mx-host=dest.test,primary.dest.test,10", "mx-host=dest.test,backup.dest.test,20",
             "host-record=primary.dest.test,127.0.13.2", "host-record=backup.dest.test,127.0.13.3"],
            ["127.0.13.3"]);

        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        Assert.Single(await world.Sink("127.0.13.3").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
        await world.WaitForEmptySpoolAsync();
        await world.WaitForLogAsync("\"mx_host\":\"backup.dest.test\"");
    }
}
