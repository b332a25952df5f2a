using MailCluster.Cluster;
using MailCluster.Cluster.RetryTier;
using MailCluster.Hosting;

namespace MailCluster.Delivery.Tier;

/// <summary>
/// The operators' tombstones as this silo last read them (every few seconds), and the partitions'
/// approximate sizes for the metrics. Tombstones older than <paramref name="lifetime"/> (the queue
/// lifetime and a day: no entry they could match is left) are pruned.
/// </summary>
internal sealed class TierTombstones(IRetryTier tier, TierReachability calls, RetryTierMetrics metrics, ClusterTimings timings, TimeSpan lifetime, TimeProvider time)
{
    private volatile IReadOnlyList<RetryTombstone> _current = [];

    /// <summary>The newest tombstone that matches <paramref name="entry"/>, or null.</summary>
    public RetryTombstone? Matching(RetryEntry entry) => _current.LastOrDefault(t => t.Matches(entry));

    public async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(timings.TierTombstoneRefresh, time);
        var tick = 0;
        do
        {
            if (await calls.TryAsync("index", () => tier.TombstonesAsync(time.GetUtcNow() - lifetime, stopping)) is (true, var tombstones))
            {
                _current = tombstones;
            }
            if (tick++ % 6 == 0 && await calls.TryAsync("count", () => tier.ApproximateCountsAsync(stopping)) is (true, var counts))
            {
                metrics.ApproximateEntries(counts);
            }
        }
        while (await timer.TryWaitAsync(stopping));
    }
}
