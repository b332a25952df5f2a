using MailCluster.Cluster;
using MailCluster.Cluster.RetryTier;
using MailCluster.Delivery.Tier;
using MailCluster.Testing;
using MailCluster.Testing.IO;
using MailCluster.Testing.RetryTier;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Delivery.Tests.Tier;

/// <summary>An operator's action taken on another silo reaches this silo's spool once (issue 21 item 4).</summary>
public sealed class TierTombstonesTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private readonly TestMeterFactory _meters = new();

    [Fact]
    public async Task EachTombstoneIsAppliedToThisSilosSpoolOnceAndOneThatFailedIsTriedAgain()
    {
        var tier = new InMemoryRetryTier(_time);
        var applied = new List<RetryTombstone>();
        var failNext = true;
        var tombstones = new TierTombstones(
            tier,
            new TierReachability(NullLogger.Instance),
            t =>
            {
                if (failNext)
                {
                    failNext = false;
                    throw new IOException("the spool is busy");
                }
                applied.Add(t);
                return Task.CompletedTask;
            },
            new RetryTierMetrics(_meters),
            ClusterTimings.Defaults,
            TimeSpan.FromDays(6),
            _time,
            NullLogger.Instance);
        var bounce = new RetryTombstone("dest.test", null, Bounce: true, _time.GetUtcNow());
        await tier.AddTombstoneAsync(bounce, TimeSpan.Zero, default);
        using var stop = new CancellationTokenSource();
        var running = tombstones.RunAsync(stop.Token);

        // The first refresh fails to apply it; the next one does; later ones leave it be.
        for (var reads = 1; reads <= 4; reads++)
        {
            var read = reads;
            await Polling.UntilAsync(() => Task.FromResult(tier.TombstoneReads >= read), TimeSpan.FromSeconds(10), () => $"{tier.TombstoneReads} reads");
            _time.Advance(ClusterTimings.Defaults.TierTombstoneRefresh);
        }
        await stop.CancelAsync();
        await running;

        Assert.Equal([bounce], applied);
        Assert.Same(bounce, tombstones.Matching(RetryTierConformance.Entry("dest.test") with { Message = RetryTierConformance.Entry("dest.test").Message with { ReceivedAt = bounce.At.AddSeconds(-1) } }));
    }

    public void Dispose() => _meters.Dispose();
}
