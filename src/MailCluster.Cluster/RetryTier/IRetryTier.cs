using MailCluster.Spool;

namespace MailCluster.Cluster.RetryTier;

/// <summary>
/// Shared durable storage for deferred recipients, so that any silo retries any of them: entries
/// in partitions (a domain hashes to one), each hidden until its next attempt and, once received,
/// for the attempt's lease. One conformance suite holds every implementation to the same rules.
/// Calls throw on storage failures (the caller keeps the mail where it is); a false result means
/// the entry is no longer this consumer's.
/// </summary>
public interface IRetryTier
{
    /// <summary>The partition <paramref name="domain"/> hashes to among the configured ones.</summary>
    string PartitionOf(string domain);

    /// <summary>Stores an entry, content first, due at <paramref name="dueAt"/>.</summary>
    Task AddAsync(RetryEntry entry, DateTimeOffset dueAt, CancellationToken cancellationToken);

    /// <summary>Every partition that exists now, of this and earlier partition counts, so none is stranded.</summary>
    Task<IReadOnlyList<string>> PartitionsAsync(CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="max"/> due entries of a partition, each hidden from others for <paramref name="lease"/>.</summary>
    Task<IReadOnlyList<ReceivedEntry>> ReceiveAsync(string partition, int max, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Hides a received entry for <paramref name="lease"/> more, from now.</summary>
    Task<bool> ExtendAsync(ReceivedEntry received, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Rewrites the entry as <paramref name="updated"/> (one call) and hides it until <paramref name="dueAt"/>.</summary>
    Task<bool> RescheduleAsync(ReceivedEntry received, RetryEntry updated, DateTimeOffset dueAt, CancellationToken cancellationToken);

    /// <summary>Removes the entry, its content and its index row.</summary>
    Task<bool> DeleteAsync(ReceivedEntry received, CancellationToken cancellationToken);

    /// <summary>
    /// True the first time it is asked for this entry and attempt, in the whole cluster: the caller
    /// may write the DSN. A crash after it and a second consumer never make a second DSN.
    /// </summary>
    Task<bool> TryClaimDsnAsync(string entryId, int attempt, CancellationToken cancellationToken);

    /// <summary>Gives back a DSN claim whose DSN could not be written, so the next receive writes it.</summary>
    Task ReleaseDsnAsync(string entryId, int attempt, CancellationToken cancellationToken);

    /// <summary>Copies an entry to the dead-letter store for inspection, with the reason.</summary>
    Task DeadLetterAsync(ReceivedEntry received, string reason, CancellationToken cancellationToken);

    /// <summary>Entries per domain from the index: approximate (an entry is counted from its write until its delete).</summary>
    Task<IReadOnlyDictionary<string, int>> CountByDomainAsync(CancellationToken cancellationToken);

    /// <summary>Approximate entries per partition, as the storage reports them.</summary>
    Task<IReadOnlyDictionary<string, long>> ApproximateCountsAsync(CancellationToken cancellationToken);

    /// <summary>Records an operator's bounce or delete, and makes the matching entries due now where the index allows.</summary>
    Task AddTombstoneAsync(RetryTombstone tombstone, CancellationToken cancellationToken);

    /// <summary>The tombstones recorded, newest last.</summary>
    Task<IReadOnlyList<RetryTombstone>> TombstonesAsync(CancellationToken cancellationToken);
}
