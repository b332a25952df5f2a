using MailCluster.Cluster.RetryTier;
using MailCluster.Cluster.RetryTier.AzureStorage;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;
using MailCluster.Testing.RetryTier;
using MailCluster.Testing;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// The retry tier with three silo processes on one Azurite (shared by the scenarios, which run one
/// at a time): deferred mail leaves the silo that accepted it, so neither a kill -9, nor a SIGTERM,
/// nor 30 s without storage loses any of it. The invariants are nothing lost, no duplicate DSN
/// and duplicates bounded by what was in flight; speed is the benchmark's business.
/// </summary>
[Collection("Cluster")]
[Trait("Category", "Integration")]
public sealed class RetryTierKeepsMailThroughSiloLoss(AzuriteForClass storage) : IClassFixture<AzuriteForClass>
{
    private const string Mx = "127.0.38.2";

    private static readonly string[] s_zone =
    [
        "mx-host=dest.test,mx.dest.test,10", "mx-host=held.test,mx.dest.test,10", $"host-record=mx.dest.test,{Mx}",
        "mx-host=source.test,mx.dest.test,10",
    ];

    // Fast enough for a test: a short lease, holds and polls; first retry 5 s after the deferral.
    private static readonly string[] s_tier =
    [
        "--RetryTier:VisibilityLease=00:00:15", "--RetryTier:HoldInterval=00:00:10", "--RetryTier:IdlePollInterval=00:00:01",
        "--RetryTier:MoveInterval=00:00:01", "--RetryTier:Partitions=4", "--Delivery:Retry:Schedule=00:00:05", "--Delivery:Retry:Jitter=0",
    ];

    [Fact]
    public async Task AKilledSilosDeferredMailIsDeliveredByTheOthers()
    {
        await using var world = await ClusterWorld.StartAsync(storage.Azurite, s_zone, [Mx], 0, 3, s_tier);
        var recipients = Enumerable.Range(0, 2000).Select(i => $"defer-once+{i}@dest.test").ToList();

        await SendAsync(world.Silos[0], recipients, perMessage: 100);
        // Every recipient was attempted once and deferred, and its entry is in the tier: now the silo dies.
        await world.Silos[0].WaitForMetricAsync("mailcluster_tier_entries_moved_total{direction=\"in\",reason=\"deferred\"}", 20, world.Context);
        await world.Silos[0].KillAsync();

        var delivered = await DeliveredAsync(world, recipients.Count, TimeSpan.FromSeconds(120));
        Assert.Equal(recipients.Order(), delivered.Distinct().Order());
        // Nothing was in flight at the kill (the entries were not yet due): no duplicates.
        Assert.Equal(recipients.Count, delivered.Count);
        Assert.Equal(20, await CountedOutOfTheTierAsync(world, world.Silos.Skip(1), "delivered", 20));
    }

    [Fact]
    public async Task TierOutcomesAreEventsOncePerOutcomeThroughAKillOfTheSiloThatRecordedThem()
    {
        await using var receiver = await WebhookReceiver.StartAsync("--seed", "5", "--fail-rate", "0.2", "--lost-reply-rate", "0.05");
        string[] events = [.. receiver.SinkArguments(more: ["--Events:Sinks:0:RetryInitial=00:00:00.100", "--Events:Sinks:0:RetryMax=00:00:01", "--Events:Sinks:0:Timeout=00:00:02"])];
        await using var world = await ClusterWorld.StartAsync(storage.Azurite, s_zone, [Mx], 0, 2, [.. s_tier, .. events]);
        var recipients = Enumerable.Range(0, 600).Select(i => $"defer-once+e{i}@dest.test").ToList();

        await SendAsync(world.Silos[0], recipients, perMessage: 10);
        // The silo that has ended the most tier entries so far (their deliveries' events in its journal) dies and comes back on its spool.
        await CountedOutOfTheTierAsync(world, world.Silos, "delivered", 5);
        var ended = await Task.WhenAll(world.Silos.Select(silo => MetricAsync(silo, "mailcluster_tier_entries_moved_total{direction=\"out\",reason=\"delivered\"}")));
        var recorder = ended[1] > ended[0] ? 1 : 0;
        await world.Silos[recorder].KillAsync();
        await world.RestartSiloAsync(recorder);

        await DeliveredAsync(world, recipients.Count, TimeSpan.FromSeconds(120));
        var deliveries = new List<ReceivedEvent>();
        await Polling.UntilAsync(
            () => Task.FromResult((deliveries = [.. receiver.Events().Where(e => e.Type == "Delivery").DistinctBy(e => e.Id)]).Select(e => e.Recipient).Distinct().Count() == recipients.Count),
            TimeSpan.FromSeconds(60),
            () => $"Delivery events for {deliveries.Select(e => e.Recipient).Distinct().Count()} of {recipients.Count} recipients\n{world.Context()}");

        // Once per outcome: a recipient's Delivery events (by id) are at most the times the MX took it, and at least one.
        var taken = world.Sink(Mx).Messages().SelectMany(m => m.RcptTos).CountBy(r => r).ToDictionary();
        Assert.All(deliveries.CountBy(e => e.Recipient), pair => Assert.InRange(pair.Value, 1, taken.GetValueOrDefault(pair.Key)));
        // Every first attempt (deferred, from silo 0's spool) is one TransientFailure event.
        Assert.Equal(recipients.Count, receiver.Events().Where(e => e.Type == "TransientFailure").DistinctBy(e => e.Id).Count(e => e.Json.Contains("\"attempt\":1,", StringComparison.Ordinal)));
        Assert.Equal(0, receiver.BadSignatures);
    }

    [Fact]
    public async Task ASigtermHandsTheWholeLocalQueueToTheTier()
    {
        await using var world = await ClusterWorld.StartAsync(storage.Azurite, s_zone, [Mx], 0, 3, [.. s_tier, "--RetryTier:HandOffTimeout=00:03:00", "--RetryTier:HoldInterval=00:00:30", "--RetryTier:IdlePollInterval=00:00:05"]);
        var suspended = await world.MailctlAsync(0, "suspend", "held.test");
        Assert.True(suspended.ExitCode == 0, suspended.ToString());

        var sent = await SmtpSource.SendAsync(world.Silos[0].SmtpAddress, sessions: 10, messages: 5000, sizeBytes: 512, recipient: "someone@held.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Equal(5000, (await SpoolInspector.CountAsync(world.Silos[0].SpoolPath)).QueuedRecipients);

        Assert.Equal(0, await world.Silos[0].TerminateAsync(TimeSpan.FromMinutes(4)));
        var left = await SpoolInspector.CountAsync(world.Silos[0].SpoolPath);
        Assert.True(left.QueuedRecipients == 0 && left.InFlightRecipients == 0, $"{left}\n{world.Context()}");
        Assert.Empty(world.Sink(Mx).Messages());

        var resumed = await world.MailctlAsync(1, "resume", "held.test");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var delivered = await world.Sink(Mx).WaitForMessagesAsync(5000, TimeSpan.FromMinutes(4), world.Context);
        Assert.Equal(5000, delivered.Select(m => m.Content).Distinct().Count());
    }

    [Fact]
    public async Task ThirtySecondsWithoutStorageFailNoTransactionAndLoseNothing()
    {
        // Retries a minute apart: what is deferred during the outage cannot be retried locally before it ends, it must move.
        await using var world = await ClusterWorld.StartAsync(storage.Azurite, s_zone, [Mx], 0, 3, [.. s_tier, "--Delivery:Retry:Schedule=00:01:00"]);
        var before = Enumerable.Range(0, 300).Select(i => $"defer-once+a{i}@dest.test").ToList();
        var during = Enumerable.Range(0, 300).Select(i => $"defer-once+b{i}@dest.test").ToList();
        await SendAsync(world.Silos[0], before, perMessage: 50);
        await world.Silos[0].WaitForMetricAsync("mailcluster_tier_entries_moved_total{direction=\"in\",reason=\"deferred\"}", 6, world.Context);

        await storage.Azurite.PauseAsync();
        try
        {
            // Ingress never waits on storage: every transaction is accepted while it is away.
            await SendAsync(world.Silos[1], during, perMessage: 50);
            await world.Silos[1].WaitForMetricAsync("mailcluster_delivery_attempts_total{domain=\"dest.test\",outcome=\"deferred\"}", during.Count, world.Context);
            // The outage itself lasts 30 s (the issue's figure): a duration to inflict, not a state to wait for.
            await Task.Delay(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await storage.Azurite.ResumeAsync();
        }

        // The tier catches up: what silo 1 deferred meanwhile moves in once storage answers.
        await world.Silos[1].WaitForMetricAsync("mailcluster_tier_entries_moved_total{direction=\"in\",reason=\"deferred\"}", 6, world.Context);
        var delivered = await DeliveredAsync(world, before.Count + during.Count, TimeSpan.FromSeconds(180));
        Assert.Equal(before.Concat(during).Order(), delivered.Distinct().Order());
        // Duplicates only where an attempt's outcome could not be written back: at most what was in flight.
        Assert.True(delivered.Count - before.Count - during.Count <= 100, $"{delivered.Count} deliveries for {before.Count + during.Count} recipients");
    }

    [Fact]
    public async Task OperatorsCountBounceAndDrainThroughTheTier()
    {
        await using var world = await ClusterWorld.StartAsync(storage.Azurite, s_zone, [Mx], 0, 2, s_tier);
        var failing = Enumerable.Range(0, 3).Select(i => $"tempfail+{i}@dest.test").ToList();
        await SendAsync(world.Silos[0], failing, perMessage: 1);
        await world.Silos[0].WaitForMetricAsync("mailcluster_tier_entries_moved_total{direction=\"in\",reason=\"deferred\"}", 3, world.Context);

        var domains = await world.MailctlAsync(1, "domains");
        Assert.Matches(@"dest\.test +0 +0 +0 +3 ", domains.Output);

        // A bounce asked of another silo reaches the entries in the tier: one DSN per message, never two.
        var bounced = await world.MailctlAsync(1, "bounce", "--domain", "dest.test");
        Assert.True(bounced.ExitCode == 0 && bounced.Output.Contains("retry tier", StringComparison.Ordinal), bounced.ToString());
        await Polling.UntilAsync(
            () => Task.FromResult(world.Sink(Mx).Messages().Count(m => m.MailFrom == "<>") >= 3),
            TimeSpan.FromSeconds(60), () => $"DSNs: {world.Sink(Mx).Messages().Count(m => m.MailFrom == "<>")}\n{world.Context()}");
        Assert.Equal(3, await CountedOutOfTheTierAsync(world, world.Silos, "bounced", 3));
        Assert.Equal(3, world.Sink(Mx).Messages().Count(m => m.MailFrom == "<>"));

        // Drain: only the named silo drains, and its whole local queue (never attempted, suspended) moves.
        Assert.Equal(0, (await world.MailctlAsync(1, "suspend", "held.test")).ExitCode);
        await SendAsync(world.Silos[1], ["a@held.test", "b@held.test"], perMessage: 1);
        var wrong = await world.MailctlAsync(1, "drain", "no-such-silo");
        Assert.NotEqual(0, wrong.ExitCode);
        var name = System.Text.RegularExpressions.Regex.Match(wrong.Output, "this is silo (\\S+), not").Groups[1].Value;
        var drained = await world.MailctlAsync(1, "drain", name);
        Assert.True(drained.ExitCode == 0 && drained.Output.Contains("2 recipient(s) handed to the retry tier, 0 left", StringComparison.Ordinal), drained.ToString());
        Assert.Equal(0, (await SpoolInspector.CountAsync(world.Silos[1].SpoolPath)).QueuedRecipients);
    }

    [Fact]
    public async Task AnEntryThatKeepsComingBackUnattemptedIsBouncedAsPoisonAndDeadLettered()
    {
        // No silo yet: the test plays the consumers that receive the entry and die before recording anything.
        await using var world = await ClusterWorld.StartAsync(storage.Azurite, s_zone, [Mx], 0, 0);
        using var meters = new TestMeterFactory();
        var tier = new AzureRetryTier(storage.Azurite.ConnectionString, world.ServiceId, new RetryTierOptions { Partitions = 4 }, new RetryTierMetrics(meters), TimeProvider.System);
        var entry = RetryTierConformance.Entry("dest.test");
        await tier.AddAsync(entry, TimeProvider.System.GetUtcNow(), default);
        for (var receive = 1; receive <= 3; receive++)
        {
            var received = Assert.Single(await RetryTierConformance.ReceiveAllAsync(tier, 1, lease: TimeSpan.FromSeconds(1)));
            Assert.Equal(receive, received.DequeueCount);
        }

        await world.StartSiloAsync([.. s_tier, "--RetryTier:MaxUnrecordedReceives=3"]);

        await world.Silos[0].WaitForMetricAsync("mailcluster_tier_entries_poisoned_total", 1, world.Context);
        var dsn = Assert.Single(await world.Sink(Mx).WaitForMessagesAsync(1, TimeSpan.FromSeconds(60), world.Context));
        Assert.Equal(["alice@source.test"], dsn.RcptTos);
        Assert.Contains("5.3.0", dsn.Content, StringComparison.Ordinal);
        var dead = new Azure.Storage.Queues.QueueClient(
            storage.Azurite.ConnectionString, $"{AzureRetryTier.QueueName(world.ServiceId)}-dead", new Azure.Storage.Queues.QueueClientOptions { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.Base64 });
        var letter = Assert.Single((await dead.PeekMessagesAsync(10)).Value);
        Assert.Contains(entry.Id, letter.Body.ToString(), StringComparison.Ordinal);
        // Deleted once bounced: nothing comes back.
        await world.Silos[0].WaitForMetricAsync("mailcluster_tier_entries_moved_total{direction=\"out\",reason=\"poison\"}", 1, world.Context);
        foreach (var partition in await tier.PartitionsAsync(default))
        {
            Assert.Empty(await tier.ReceiveAsync(partition, 32, TimeSpan.FromSeconds(30), default));
        }
    }

    /// <summary>Sends the recipients as messages of <paramref name="perMessage"/> each; every transaction must be accepted.</summary>
    private static async Task SendAsync(SiloProcess silo, IReadOnlyList<string> recipients, int perMessage)
    {
        foreach (var batch in recipients.Chunk(perMessage))
        {
            using var client = new RawSmtpClient();
            Assert.StartsWith("220", await client.ConnectAsync(silo.SmtpPort), StringComparison.Ordinal);
            Assert.StartsWith("250", await client.CommandAsync("EHLO sender.test"), StringComparison.Ordinal);
            Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<alice@source.test>"), StringComparison.Ordinal);
            foreach (var recipient in batch)
            {
                Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<{recipient}>"), StringComparison.Ordinal);
            }
            Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
            await client.SendAsync($"Subject: tier test {batch[0]}\r\n\r\nDeferred once, delivered by whichever silo.\r\n.\r\n");
            Assert.StartsWith("250", await client.ReadReplyAsync(), StringComparison.Ordinal);
            await client.CommandAsync("QUIT");
        }
    }

    /// <summary>Every recipient delivery the sink saw once at least <paramref name="distinct"/> addresses arrived.</summary>
    private static async Task<List<string>> DeliveredAsync(ClusterWorld world, int distinct, TimeSpan timeout)
    {
        await Polling.UntilAsync(
            () => Task.FromResult(world.Sink(Mx).Messages().SelectMany(m => m.RcptTos).Distinct().Count() >= distinct),
            timeout,
            () => $"{world.Sink(Mx).Messages().SelectMany(m => m.RcptTos).Distinct().Count()} of {distinct} delivered\n{world.Context()}",
            TimeSpan.FromSeconds(1));
        return [.. world.Sink(Mx).Messages().SelectMany(m => m.RcptTos)];
    }

    /// <summary>
    /// The entries the silos counted out of the tier for the reason, once they reach
    /// <paramref name="expected"/>: an entry leaves the tier after its outcome (the delivery, the
    /// DSN spooled), so the sink can have the mail before its silo has counted the entry out.
    /// </summary>
    private static async Task<double> CountedOutOfTheTierAsync(ClusterWorld world, IEnumerable<SiloProcess> silos, string reason, double expected)
    {
        var series = $"mailcluster_tier_entries_moved_total{{direction=\"out\",reason=\"{reason}\"}}";
        async Task<double> CountAsync() => (await Task.WhenAll(silos.Select(s => MetricAsync(s, series)))).Sum();
        await Polling.UntilAsync(async () => await CountAsync() >= expected, TimeSpan.FromSeconds(60), () => $"tier entries out ({reason}): fewer than {expected}\n{world.Context()}");
        return await CountAsync();
    }

    private static async Task<double> MetricAsync(SiloProcess silo, string series)
    {
        using var http = new HttpClient { BaseAddress = silo.HttpAddress };
        var line = (await http.GetStringAsync(new Uri("metrics", UriKind.Relative))).Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
