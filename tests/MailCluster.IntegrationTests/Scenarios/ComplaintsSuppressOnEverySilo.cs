using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing;
using MailCluster.Testing.Feedback;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// A provider's complaint taken by one silo of a cluster suppresses the complainer on every silo
/// (the suppression list is shared in Azure Tables), and its event names the original accepted by another.
/// </summary>
[Collection("Cluster")]
[Trait("Category", "Integration")]
public sealed class ComplaintsSuppressOnEverySilo(AzuriteForClass storage) : IClassFixture<AzuriteForClass>
{
    private const string Mx = "127.0.39.2";

    private static readonly string[] s_zone = ["mx-host=dest.test,mx.dest.test,10", $"host-record=mx.dest.test,{Mx}"];

    [Fact]
    public async Task AComplaintToOneSiloIsRefusedAtRcptByTheOther()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var world = await ClusterWorld.StartAsync(
            storage.Azurite, s_zone, [Mx], 0, 2, [.. receiver.SinkArguments(), "--Fbl:Addresses=fbl@sender.test", "--Suppression:RefreshInterval=00:00:01"]);
        var sent = await Swaks.SendAsync(world.Silos[0].SmtpAddress, "news@sender.test", "reader@dest.test", "--header", "Message-Id: <news-2@sender.test>");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        var queueId = Swaks.QueueId(sent);
        await world.Sink(Mx).WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context);

        // The provider reports it to the other silo.
        using var files = new TempDirectory();
        var report = Path.Combine(files.Path, "report.eml");
        await File.WriteAllTextAsync(report, ProviderReports.About("Yahoo", queueId, "reader@dest.test", "<news-2@sender.test>"));
        var reported = await Swaks.SendAsync(world.Silos[1].SmtpAddress, "feedback@provider.test", "fbl@sender.test", "--data", "@" + report);
        Assert.True(reported.ExitCode == 0, reported.ToString());

        CommandResult? refused = null;
        await Polling.UntilAsync(
            async () => (refused = await Swaks.SendAsync(world.Silos[0].SmtpAddress, "news@sender.test", "reader@dest.test")).Output.Contains("550 5.1.1 Recipient is on the suppression list", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            () => $"the silo that accepted the original never refused the complainer:\n{refused}\n{world.Context()}");
        ReceivedEvent? complaint = null;
        await Polling.UntilAsync(
            () => Task.FromResult((complaint = receiver.Events().FirstOrDefault(e => e.Type == "Complaint")) is not null),
            TimeSpan.FromSeconds(30),
            () => $"no Complaint event arrived\n{world.Context()}");
        Assert.Equal((queueId, "reader@dest.test"), (complaint!.QueueId, complaint.Recipient));
    }
}
