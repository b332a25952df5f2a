using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing;
using Xunit.Abstractions;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// Delivery events posted to a real HTTPS receiver (Sinks/webhook_receiver.py) that fails, hangs
/// and loses replies at random: every event of 20,000 recipients arrives at least once through a
/// kill -9 of the silo, each batch's signature verifies, and no event reports an outcome the MX
/// did not see. A receiver that is gone disables its sink without touching delivery.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DeliveryEventsReachAWebhookThatMisbehaves(ITestOutputHelper output)
{
    private static readonly string[] s_zone = ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.37.2"];

    private static readonly string[] s_quickRetries =
    [
        "--Events:Sinks:0:Timeout=00:00:01", "--Events:Sinks:0:RetryInitial=00:00:00.100", "--Events:Sinks:0:RetryMax=00:00:01", "--Events:Sinks:0:BatchSize=500",
    ];

    [Fact]
    public async Task EveryEventOfTwentyThousandRecipientsArrivesThroughFailuresAndAKill()
    {
        const int messages = 2000;
        const int perMessage = 10;
        await using var receiver = await WebhookReceiver.StartAsync("--seed", "7", "--fail-rate", "0.15", "--hang-rate", "0.03", "--lost-reply-rate", "0.05", "--hang-seconds", "2");
        string[] events = [.. receiver.SinkArguments(more: s_quickRetries)];
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.37.2"], 0.002, events);

        var sent = await SmtpSource.SendAsync(world.Silo.SmtpAddress, sessions: 10, messages: messages, sizeBytes: 512, recipient: "bob@dest.test", recipientsPerMessage: perMessage);
        Assert.True(sent.ExitCode == 0, sent.ToString());
        // act: kill -9 while delivery and its events are under way, then restart on the same spool
        var sink = world.Sink("127.0.37.2");
        await sink.WaitForMessagesAsync(200, TimeSpan.FromSeconds(60), world.Context);
        await world.Silo.KillAsync();
        var atKill = sink.Messages().Count;
        var eventsAtKill = receiver.Events().Count;
        await world.StartSiloAsync(events);

        var wanted = messages * perMessage;
        await Polling.UntilAsync(
            () => Task.FromResult(Pairs(receiver, "Delivery").Count == wanted && Pairs(receiver, "Reception").Count == wanted),
            TimeSpan.FromMinutes(4),
            () => $"{Pairs(receiver, "Reception").Count} receptions and {Pairs(receiver, "Delivery").Count} deliveries of {wanted} arrived\n{world.Context()}",
            TimeSpan.FromMilliseconds(500));

        var received = receiver.Events();
        var distinct = received.DistinctBy(e => e.Id).ToList();
        output.WriteLine(
            $"{received.Count} events received, {distinct.Count} distinct: duplicate rate {(received.Count - distinct.Count) / (double)distinct.Count:P2}; "
            + $"{atKill} of {messages} messages and {eventsAtKill} events had arrived at the kill");
        Assert.True(atKill < messages, $"all {atKill} messages were delivered before the kill; nothing was in flight");
        Assert.Equal(0, receiver.BadSignatures);
        // A repeat is the same event: the same id never names two different records.
        Assert.All(received.GroupBy(e => e.Id), g => Assert.Single(g.Select(e => e.Json).Distinct()));
        // None invented: each recipient's Delivery events are at most the times the MX took the message for it.
        var takenByTheMx = sink.Messages().SelectMany(m => m.RcptTos.Select(r => (MailWorld.QueueIdOf(m), r))).CountBy(p => p).ToDictionary();
        foreach (var (pair, count) in distinct.Where(e => e.Type == "Delivery").CountBy(e => (e.QueueId!, e.Recipient)))
        {
            Assert.True(takenByTheMx.GetValueOrDefault(pair) >= count, $"{count} Delivery events for {pair}, which the MX took {takenByTheMx.GetValueOrDefault(pair)} time(s)");
        }
        Assert.Equal(Pairs(receiver, "Reception"), Pairs(receiver, "Delivery"));
        Assert.Equal(wanted, distinct.Count(e => e.Type == "Reception"));
    }

    [Fact]
    public async Task AReceiverThatIsGoneDisablesItsSinkWhileMailIsDeliveredAndTheBacklogShows()
    {
        await using var receiver = await WebhookReceiver.StartAsync("--gone");
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.37.2"], 0, [.. receiver.SinkArguments(more: s_quickRetries)]);

        var sent = await SmtpSource.SendAsync(world.Silo.SmtpAddress, sessions: 2, messages: 20, sizeBytes: 512, recipient: "bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        await world.Sink("127.0.37.2").WaitForMessagesAsync(20, TimeSpan.FromSeconds(60), world.Context);
        await world.WaitForMetricAsync("mailcluster_events_sink_disabled{sink=\"hooks\"}", 1);
        // 20 receptions and 20 deliveries wait in the journal for a sink that may come back.
        await world.WaitForMetricAsync("mailcluster_events_backlog{sink=\"hooks\"}", 40);
        var shown = await world.MailctlAsync(["events"]);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Matches(@"hooks\s+disabled\s+40\s+\d+", shown.Output);
        Assert.Contains("410 Gone", shown.Output, StringComparison.Ordinal);
        Assert.Contains("Event sink hooks is disabled", world.Silo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABounceAndARefusalOfTheSuppressedAddressAreReported()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.37.2"], 0, [.. receiver.SinkArguments(more: s_quickRetries)]);

        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@source.test", "reject+bob@dest.test", "--header", "Message-Id: <first@source.test>");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        var bounce = await ArrivedAsync(receiver, "Bounce", world);
        await Polling.UntilAsync(
            async () => (await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@source.test", "reject+bob@dest.test")).Output.Contains("suppression list", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            () => $"reject+bob@dest.test never refused at RCPT\n{world.Context()}");
        var suppressed = await ArrivedAsync(receiver, "Suppressed", world);

        Assert.Contains("\"message_id\":\"<first@source.test>\"", bounce.Json, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"5.1.1\"", bounce.Json, StringComparison.Ordinal);
        Assert.Contains("\"mx_host\":\"mx.dest.test\"", bounce.Json, StringComparison.Ordinal);
        Assert.Contains("\"category\":", bounce.Json, StringComparison.Ordinal);
        Assert.Contains("\"dsn_queue_id\":", bounce.Json, StringComparison.Ordinal);
        Assert.Contains("\"sender\":\"alice@source.test\"", suppressed.Json, StringComparison.Ordinal);
        Assert.Contains("\"client\":\"127.0.0.1\"", suppressed.Json, StringComparison.Ordinal);
        Assert.Null(suppressed.QueueId);
    }

    [Theory]
    [InlineData("Yahoo")]
    [InlineData("Outlook")]
    public async Task AProvidersComplaintIsAnEventForTheOriginalAndSuppressesTheRecipient(string form)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var world = await MailWorld.StartAsync(
            s_zone, ["127.0.37.2"], 0, [.. receiver.SinkArguments(more: s_quickRetries), "--Fbl:Addresses=fbl@sender.test"]);
        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "news@sender.test", "reader@dest.test", "--header", "Message-Id: <news-1@sender.test>");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        var queueId = Swaks.QueueId(sent);
        await world.Sink("127.0.37.2").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context);

        // The provider's report about it, in its own form, to the registered address.
        using var files = new MailCluster.Testing.IO.TempDirectory();
        var report = Path.Combine(files.Path, "report.eml");
        await File.WriteAllTextAsync(report, MailCluster.Testing.Feedback.ProviderReports.About(form, queueId, "reader@dest.test", "<news-1@sender.test>"));
        var reported = await Swaks.SendAsync(world.Silo.SmtpAddress, "feedback@provider.test", "fbl@sender.test", "--data", "@" + report);
        Assert.True(reported.ExitCode == 0, reported.ToString());

        var complaint = await ArrivedAsync(receiver, "Complaint", world);
        Assert.Equal((queueId, "reader@dest.test"), (complaint.QueueId, complaint.Recipient));
        Assert.Contains("\"message_id\":\"<news-1@sender.test>\"", complaint.Json, StringComparison.Ordinal);
        var again = await Swaks.SendAsync(world.Silo.SmtpAddress, "news@sender.test", "reader@dest.test");
        Assert.Contains("550 5.1.1 Recipient is on the suppression list", again.Output, StringComparison.Ordinal);
        // The report went nowhere: the MX saw only the first message.
        Assert.Single(world.Sink("127.0.37.2").Messages());
    }

    private static async Task<ReceivedEvent> ArrivedAsync(WebhookReceiver receiver, string type, MailWorld world)
    {
        ReceivedEvent? found = null;
        await Polling.UntilAsync(
            () => Task.FromResult((found = receiver.Events().FirstOrDefault(e => e.Type == type)) is not null),
            TimeSpan.FromSeconds(30),
            () => $"no {type} event arrived\n{world.Context()}");
        return found!;
    }

    private static HashSet<(string, string)> Pairs(WebhookReceiver receiver, string type) =>
        [.. receiver.Events().Where(e => e.Type == type).Select(e => (e.QueueId!, e.Recipient))];
}
