using MailCluster.Cluster;
using MailCluster.Cluster.RetryTier;
using MailCluster.Spool;

namespace MailCluster.Delivery.Tier;

/// <summary>
/// What operators do to the retry tier: count its entries per domain (from the index, approximate,
/// read at most every 10 s), bounce or delete by domain or message (tombstones, applied by every
/// silo to its spool and to matching entries when next received; entries the index has a current
/// receipt for come due once every consumer has read the tombstone), and drain this silo's local queue into it.
/// </summary>
public sealed class TierOperations
{
    private static readonly TimeSpan s_countsKept = TimeSpan.FromSeconds(10);

    private readonly IRetryTier _tier;
    private readonly TierMover _mover;
    private readonly TimeProvider _time;
    private readonly TimeSpan _dueIn;
    private volatile Tuple<IReadOnlyDictionary<string, int>, DateTimeOffset>? _counts;

    internal TierOperations(IRetryTier tier, TierMover mover, ClusterTimings timings, TimeProvider time)
    {
        _tier = tier;
        _mover = mover;
        _time = time;
        // Matching entries come due once every consumer has read the tombstone (two of its refreshes).
        _dueIn = timings.TierTombstoneRefresh * 2;
    }

    /// <summary>Entries per domain, or null when the index cannot be read now.</summary>
    public async Task<IReadOnlyDictionary<string, int>?> CountsAsync(CancellationToken cancellationToken)
    {
        if (_counts is { } cached && _time.GetUtcNow() - cached.Item2 < s_countsKept)
        {
            return cached.Item1;
        }
        try
        {
            var counts = await _tier.CountByDomainAsync(cancellationToken);
            _counts = Tuple.Create(counts, _time.GetUtcNow());
            return counts;
        }
        catch (Exception exception) when (exception is not (OutOfMemoryException or OperationCanceledException))
        {
            return null;
        }
    }

    /// <summary>Records a bounce or delete of the selected entries.</summary>
    public Task TombstoneAsync(RecipientSelector selector, bool bounce, CancellationToken cancellationToken) =>
        _tier.AddTombstoneAsync(new RetryTombstone(selector.Domain?.ToLowerInvariant(), selector.QueueId, bounce, _time.GetUtcNow()), _dueIn, cancellationToken);

    /// <summary>Hands this silo's whole local queue to the tier now (maintenance); how many recipients moved and how many are left.</summary>
    public Task<(int Moved, int Left)> DrainAsync(CancellationToken cancellationToken) => _mover.HandOffAsync(cancellationToken);
}
