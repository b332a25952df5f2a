using System.Globalization;
using MailCluster.IntegrationTests.Chaos;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing;
using Xunit.Abstractions;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// The chaos run of issue 21: three silos in <c>AzureStorage</c> mode under acked load, through a
/// fault schedule drawn from a seed (kill -9, SIGSTOP past a site lease, SIGTERM while the sink
/// holds DATA, a paused storage service, a lost storage reply), then every promise checked.
/// <c>MAILCLUSTER_CHAOS_SEED</c> and <c>MAILCLUSTER_CHAOS_FAULTS</c> choose the run (a short one
/// by default, as the test command runs it; <c>tests/chaos/run.sh</c> runs 100 faults or more);
/// <c>MAILCLUSTER_CHAOS_REPORT</c> names a file that receives the figures.
/// </summary>
[Collection("Cluster")]
[Trait("Category", "Integration")]
public sealed class ChaosKeepsEveryPromise(ITestOutputHelper output)
{
    private const string Mx = "127.0.39.2";
    private const string SenderMx = "127.0.39.3";
    private const int SiteConnections = 4;
    private const int SenderSiteConnections = 2;
    private const string Sender = "alice@source.test";

    private static readonly TimeSpan s_siteLease = TimeSpan.FromSeconds(4);

    private static readonly string[] s_zone =
    [
        "mx-host=dest.test,mx.dest.test,10", $"host-record=mx.dest.test,{Mx}",
        // DSNs go to the sender's domain: its MX is a sink too.
        "mx-host=source.test,mx.source.test,10", $"host-record=mx.source.test,{SenderMx}",
    ];

    // Short timings, so that a fault's effects (a lapsed lease, an entry's lease, a drain) pass in seconds.
    private static readonly string[] s_silo =
    [
        // A 421 (the sink's ratelimit-once+ cue) backs the site off for 2 s, not the default minute.
        "--Shaping:Rules:0:Match=dest.test", $"--Shaping:Rules:0:MaxConnections={SiteConnections}", "--Shaping:Rules:0:BackoffPeriod=00:00:02",
        "--Shaping:Rules:1:Match=source.test", $"--Shaping:Rules:1:MaxConnections={SenderSiteConnections}",
        $"--Cluster:Timings:SiteLeasePeriod={s_siteLease}", "--Cluster:Timings:SiteExchangePeriod=00:00:01",
        "--Cluster:Timings:SiteCallTimeout=00:00:01", "--Cluster:Timings:SiteRateSlice=00:00:02",
        // Longer than a pause goes past the lease (1-3 s): a paused silo's open sockets stay counted.
        "--Cluster:Timings:SiteLapseGrace=00:00:05",
        "--RetryTier:VisibilityLease=00:00:10", "--RetryTier:HoldInterval=00:00:05", "--RetryTier:IdlePollInterval=00:00:01",
        "--RetryTier:MoveInterval=00:00:01", "--RetryTier:Partitions=4", "--RetryTier:HandOffTimeout=00:00:15",
        "--Delivery:Retry:Schedule=00:00:02", "--Delivery:Retry:Jitter=0", "--Smtp:DrainTimeout=00:00:03",
    ];

    [Fact]
    public async Task AckedMailIsDeliveredOrBouncedOnceThroughEveryFault()
    {
        var seed = Setting("MAILCLUSTER_CHAOS_SEED", 2021);
        var faults = FaultSchedule.Draw(seed, Setting("MAILCLUSTER_CHAOS_FAULTS", 6), silos: 3, s_siteLease);
        var started = TimeProvider.System.GetTimestamp();
        Log($"seed {seed}, {faults.Count} faults: {string.Join(", ", faults)}");

        await using var storage = await AzuriteServer.StartServicesAsync();
        await using var world = await ClusterWorld.StartAsync(storage, s_zone, [Mx, SenderMx], 0, 3, s_silo);
        var (mx, senderMx) = (world.Sink(Mx), world.Sink(SenderMx));
        await using var load = new AckedLoad(world.Silos, "dest.test", Sender, seed);
        var injector = new FaultInjector(world, storage, mx, load, Log);
        ChaosOutcome outcome;
        int highest, highestAtSender, samples;
        string highestSeen;
        IReadOnlyList<string> overLimit;
        await using (var sampler = new ConnectionSampler(mx, SiteConnections, () => injector.Moment))
        await using (var senderSampler = new ConnectionSampler(senderMx, SenderSiteConnections, () => injector.Moment))
        {
            load.Start(clients: 3, pace: TimeSpan.FromMilliseconds(400));
            await injector.InflictAsync(faults);
            await load.StopAsync();
            Log($"faults over after {Elapsed(started)}; waiting for every acked recipient's outcome");
            outcome = await SettledAsync(world, mx, senderMx, injector, load.AckedRecipients);
            (highest, highestAtSender, samples, highestSeen) = (sampler.Highest, senderSampler.Highest, sampler.Samples, sampler.HighestSeen);
            overLimit = [.. sampler.OverLimit.Select(m => $"dest.test: {m}"), .. senderSampler.OverLimit.Select(m => $"source.test: {m}")];
        }

        var lost = outcome.Unaccounted();
        var wrongful = outcome.WrongfulBounces();
        var badDsns = outcome.BadDsnCounts();
        var inFlightBound = injector.Total * SiteConnections * AckedLoad.RecipientsPerMessage;
        var (mostAtSink, mostAtSenderSink) = (mx.MaxConcurrentConnections(), senderMx.MaxConcurrentConnections());
        Log($"acked {outcome.Acked.Count} recipients; delivered {outcome.DeliveredAcked}; bounced by the sink {outcome.AckedBounces}; DSNs {outcome.DsnCount}; run {Elapsed(started)}");
        Log($"no acked recipient lost: {(lost.Count == 0 ? "ok" : $"FAILED, {lost.Count} lost: {string.Join(' ', lost.Take(20))}")}");
        Log($"no wrongful bounce: {(wrongful.Count == 0 ? "ok" : $"FAILED, {wrongful.Count}: {string.Join(' ', wrongful.Take(20))}")}");
        Log($"DSNs one or two per bounced recipient: {(badDsns.Count == 0 ? "ok" : $"FAILED, {badDsns.Count}: {string.Join(' ', badDsns.Take(20).Select(r => $"{r}={outcome.DsnsPerRecipient.GetValueOrDefault(r)}"))}")} ({outcome.AckedBounces} bounced, {outcome.DsnCount} DSN recipients)");
        Log($"limits: dest.test at most {mostAtSink} connections (sink's count; {highest} in {samples} samples every 20 ms, first {highestSeen}), limit {SiteConnections}; source.test at most {mostAtSenderSink} ({highestAtSender} sampled), limit {SenderSiteConnections}");
        foreach (var moment in overLimit)
        {
            Log($"  over the limit: {moment}");
        }
        Log($"duplicates: {outcome.Duplicates}, bound {inFlightBound} (faults {injector.Total} x MaxConnections {SiteConnections} x recipients per transaction {AckedLoad.RecipientsPerMessage})");
        Log($"faults: {injector.Total} ({string.Join(", ", injector.Counts.Select(c => $"{c.Key} {c.Value}"))})");

        Assert.True(lost.Count == 0, $"{lost.Count} acked recipients lost (seed {seed}): {string.Join(' ', lost.Take(50))}\n{world.Context()}");
        Assert.True(wrongful.Count == 0, $"wrongful bounces (seed {seed}): {string.Join(' ', wrongful.Take(50))}");
        Assert.True(badDsns.Count == 0, $"DSN counts outside 1-2 (seed {seed}): {string.Join(' ', badDsns.Take(50))}");
        Assert.True(mostAtSink <= SiteConnections && highest <= SiteConnections, $"dest.test saw {mostAtSink} connections at once (sampled {highest}, first {highestSeen}); its limit is {SiteConnections} (seed {seed})");
        Assert.True(mostAtSenderSink <= SenderSiteConnections, $"source.test saw {mostAtSenderSink} connections at once; its limit is {SenderSiteConnections} (seed {seed})");
        Assert.True(outcome.Duplicates <= inFlightBound, $"{outcome.Duplicates} duplicates, more than the {inFlightBound} recipients that could be in flight at the faults (seed {seed})");
        Assert.Equal(faults.Count, injector.Total);
    }

    /// <summary>Waits (bounded) until every acked recipient has its outcome at the sinks.</summary>
    private static async Task<ChaosOutcome> SettledAsync(ClusterWorld world, AiosmtpdSink mx, AiosmtpdSink senderMx, FaultInjector injector, IReadOnlyCollection<string> acked)
    {
        var outcome = ChaosOutcome.Read(acked, mx, senderMx);
        await Polling.UntilAsync(
            async () =>
            {
                // A silo may leave the cluster after a fault (declared dead while paused): it must come back to deliver its spool.
                await injector.RestartExitedSilosAsync();
                return (outcome = ChaosOutcome.Read(acked, mx, senderMx)).Unaccounted().Count == 0;
            },
            TimeSpan.FromMinutes(5),
            () => $"{outcome.Unaccounted().Count} of {acked.Count} acked recipients without an outcome after 5 minutes: {string.Join(' ', outcome.Unaccounted().Take(50))}\n{world.Context()}",
            TimeSpan.FromSeconds(1));
        return outcome;
    }

    private void Log(string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("MAILCLUSTER_CHAOS_REPORT") is { Length: > 0 } report)
        {
            File.AppendAllText(report, line + Environment.NewLine);
        }
    }

    private static string Elapsed(long started) => $"{TimeProvider.System.GetElapsedTime(started).TotalSeconds:0}s";

    private static int Setting(string name, int fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
