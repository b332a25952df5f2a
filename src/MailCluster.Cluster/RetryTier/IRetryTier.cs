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

    /// <summary>
    /// Up to <paramref name="max"/> due entries of a partition, each hidden from others for
    /// <paramref name="lease"/>. Each is decoded on its own: one that can never be decoded (bad
    /// data, its content gone) is moved to the dead-letter store; one whose content cannot be read
    /// now is put back for a hold without counting as a receive. An entry received again after a
    /// rewrite that did not go through comes without the recipients noted finished
    /// (<see cref="RecordFinishedAsync"/>), possibly with none left.
    /// </summary>
    Task<IReadOnlyList<ReceivedEntry>> ReceiveAsync(string partition, int max, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Hides a received entry for <paramref name="lease"/> more, from now.</summary>
    Task<bool> ExtendAsync(ReceivedEntry received, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Rewrites the entry as <paramref name="updated"/> (one call) and hides it until
    /// <paramref name="dueAt"/>. Throws <see cref="RetryTierOutcomeUnknownException"/> when the
    /// storage's answer leaves open whether the rewrite was made.
    /// </summary>
    Task<bool> RescheduleAsync(ReceivedEntry received, RetryEntry updated, DateTimeOffset dueAt, CancellationToken cancellationToken);

    /// <summary>Removes the entry, its content and its index row.</summary>
    Task<bool> DeleteAsync(ReceivedEntry received, CancellationToken cancellationToken);

    /// <summary>
    /// Notes recipients the entry is done with (delivered, or bounced with the DSN spooled) when
    /// its rewrite or delete did not go through, so whoever receives it next leaves them out.
    /// </summary>
    Task RecordFinishedAsync(ReceivedEntry received, IReadOnlyCollection<EnvelopeRecipient> recipients, CancellationToken cancellationToken);

    /// <summary>Copies an entry to the dead-letter store for inspection, with the reason.</summary>
    Task DeadLetterAsync(ReceivedEntry received, string reason, CancellationToken cancellationToken);

    /// <summary>Entries per domain from the index: approximate (an entry is counted from its write until its delete).</summary>
    Task<IReadOnlyDictionary<string, int>> CountByDomainAsync(CancellationToken cancellationToken);

    /// <summary>Approximate entries per partition, as the storage reports them.</summary>
    Task<IReadOnlyDictionary<string, long>> ApproximateCountsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Records an operator's bounce or delete, and makes the matching entries the index knows due
    /// after <paramref name="dueIn"/> (by then every consumer has read the tombstone).
    /// </summary>
    Task AddTombstoneAsync(RetryTombstone tombstone, TimeSpan dueIn, CancellationToken cancellationToken);

    /// <summary>The tombstones recorded at or after <paramref name="since"/>, newest last; older ones are pruned.</summary>
    Task<IReadOnlyList<RetryTombstone>> TombstonesAsync(DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>A rewrite whose outcome is not known: its reply was lost, and the repeated request found the receipt changed.</summary>
public sealed class RetryTierOutcomeUnknownException(string message, Exception inner) : Exception(message, inner);
