using MailCluster.Spool;

namespace MailCluster.Cluster.RetryTier;

/// <summary>
/// One message's recipients at one destination domain, in the retry tier: the envelope and DSN
/// parameters (<see cref="Message"/>, <see cref="Recipients"/>), the content as accepted, and the
/// delivery bookkeeping. <see cref="Message"/>'s ReceivedAt is the first-seen time that
/// <c>Delivery:Retry:MaxQueueLifetime</c> counts from; <see cref="Receives"/> is the dequeue count
/// as of the last time a consumer rewrote the entry (each hold and attempt does), so receives that
/// left no trace (a consumer that died, a lost lease) show as the difference.
/// </summary>
public sealed record RetryEntry(
    string Id,
    string Domain,
    SpoolMessage Message,
    IReadOnlyList<EnvelopeRecipient> Recipients,
    int Attempts,
    string? LastReply,
    int Receives,
    DateTimeOffset MovedAt,
    ReadOnlyMemory<byte> Content)
{
    /// <summary>A new entry id: unique, and a valid blob and table key.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N");
}

/// <summary>
/// An entry a consumer received: invisible to the others until its lease ends. The tier renews
/// <see cref="PopReceipt"/> with every extension or rewrite; a consumer that lost the entry to
/// another (its lease ran out) learns it from a false result and must not touch it again. A tier
/// may derive from it to keep what it needs to rewrite the entry.
/// </summary>
public class ReceivedEntry(RetryEntry entry, string partition, string messageId, string popReceipt, long dequeueCount)
{
    public RetryEntry Entry { get; set; } = entry;

    public string Partition { get; } = partition;

    public string MessageId { get; } = messageId;

    public string PopReceipt { get; set; } = popReceipt;

    /// <summary>How many times the queue handed this entry out, this time included.</summary>
    public long DequeueCount { get; } = dequeueCount;

    /// <summary>Receives not recorded in the entry: crashes and lost leases since its last rewrite.</summary>
    public long UnrecordedReceives => DequeueCount - 1 - Entry.Receives;
}

/// <summary>
/// An operator's bounce or delete, applied by every silo: to matching entries the next time they
/// are received, and to its own spool's matching recipients.
/// </summary>
public sealed record RetryTombstone(string? Domain, string? QueueId, bool Bounce, DateTimeOffset At)
{
    /// <summary>Entries of mail accepted before the operator acted (whenever they moved into the tier), of that domain or message.</summary>
    public bool Matches(RetryEntry entry) =>
        entry.Message.ReceivedAt <= At
        && (Domain is null || string.Equals(entry.Domain, Domain, StringComparison.OrdinalIgnoreCase))
        && (QueueId is null || entry.Message.QueueId == QueueId);
}
