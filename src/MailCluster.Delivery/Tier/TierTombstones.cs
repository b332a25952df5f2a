using MailCluster.Cluster;
using MailCluster.Cluster.RetryTier;
using MailCluster.Hosting;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Tier;

/// <summary>
/// The operators' tombstones as this silo last read them (every few seconds), each new one also
/// applied to this silo's own spool (the operator asked one silo; the action is the cluster's), and
/// the partitions' approximate sizes for the metrics. Tombstones older than <paramref name="lifetime"/>
/// (the queue lifetime and a day: no entry they could match is left) are pruned.
/// </summary>
internal sealed partial class TierTombstones(
    IRetryTier tier, TierReachability calls, Func<RetryTombstone, Task> applyLocally, RetryTierMetrics metrics, ClusterTimings timings, TimeSpan lifetime, TimeProvider time, ILogger logger)
{
    private readonly HashSet<RetryTombstone> _applied = [];
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
                await ApplyNewAsync(tombstones);
            }
            if (tick++ % 6 == 0 && await calls.TryAsync("count", () => tier.ApproximateCountsAsync(stopping)) is (true, var counts))
            {
                metrics.ApproximateEntries(counts);
            }
        }
        while (await timer.TryWaitAsync(stopping));
    }

    /// <summary>Applies each tombstone to the spool once; one that fails is tried again at the next refresh.</summary>
    private async Task ApplyNewAsync(IReadOnlyList<RetryTombstone> tombstones)
    {
        _applied.IntersectWith(tombstones);
        foreach (var tombstone in tombstones.Where(t => !_applied.Contains(t)))
        {
            try
            {
                await applyLocally(tombstone);
                _applied.Add(tombstone);
            }
            catch (Exception exception) when (exception is not (OutOfMemoryException or OperationCanceledException))
            {
                // A spool failure, not the tier's: said here, and tried again at the next refresh.
                ApplyFailed(logger, tombstone.Domain ?? tombstone.QueueId ?? "", exception.Message);
            }
        }
    }

    [LoggerMessage(2414, LogLevel.Warning, "An operator's action on {Selector}, recorded by another silo, could not be applied to this silo's spool yet: {Reason}")]
    private static partial void ApplyFailed(ILogger logger, string selector, string reason);
}
