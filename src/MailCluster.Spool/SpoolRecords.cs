using MailCluster.Smtp.Protocol;

namespace MailCluster.Spool;

/// <summary>Where a recipient stands. Delivered and bounced recipients are removed, not kept in a state.</summary>
public enum RecipientState
{
    /// <summary>Waiting for its next attempt at <see cref="QueuedRecipient.NextAttemptAt"/>.</summary>
    Queued = 0,

    /// <summary>Claimed by a delivery attempt in progress; released or removed with its outcome.</summary>
    InFlight = 1,
}

/// <summary>A recipient as the sender gave it: the address, its lower-cased domain and its RFC 3461 DSN request (NOTIFY, ORCPT).</summary>
public sealed record EnvelopeRecipient(string Address, string Domain, DsnNotify Notify, string? OriginalRecipient);

/// <summary>
/// A stored message's envelope, without its recipients and content. <see cref="Sender"/> is empty
/// for the null reverse-path; <see cref="Size"/> is the content's length in bytes; <see cref="Pool"/>
/// is the egress pool chosen at submission (null: whatever pool is the default when it is sent);
/// <see cref="MessageIdHeader"/> the content's Message-ID field and <see cref="Submitter"/> the
/// authenticated user who submitted it, kept for the delivery events that name them (null when
/// there was none, or events were off when it was accepted).
/// </summary>
public sealed record SpoolMessage(
    string QueueId,
    string Sender,
    DateTimeOffset ReceivedAt,
    long Size,
    string? EnvelopeId,
    DsnReturn Return,
    bool SmtpUtf8,
    bool EightBitMime,
    string? Pool = null,
    string? MessageIdHeader = null,
    string? Submitter = null);

/// <summary>
/// New mail for the spool: the message and its recipients. The content is handed in apart, and the
/// spool stores its measured length as the size. <see cref="Events"/> (its receptions) are stored in
/// the same commit.
/// </summary>
public sealed record SpoolEnvelope(SpoolMessage Message, IReadOnlyList<EnvelopeRecipient> Recipients, IReadOnlyList<SpoolEvent>? Events = null);

/// <summary>A recipient in the queue with its delivery bookkeeping, as an operator sees it.</summary>
public sealed record QueuedRecipient(EnvelopeRecipient Recipient, RecipientState State, int Attempts, DateTimeOffset NextAttemptAt, string? LastReply);

/// <summary>A stored message and where each of its recipients stands.</summary>
public sealed record QueuedMessage(SpoolMessage Message, IReadOnlyList<QueuedRecipient> Recipients);

/// <summary>What the spool holds.</summary>
internal sealed record SpoolCounts(long Messages, long QueuedRecipients, long InFlightRecipients);

/// <summary>The spool seen by an operator: counts, the arrival of its oldest recipient, and bytes of storage.</summary>
internal sealed record SpoolStatistics(SpoolCounts Counts, DateTimeOffset? OldestArrival, long StorageBytes);

/// <summary>A recipient claimed for delivery. <see cref="Id"/> names it when its outcome is recorded.</summary>
public sealed record DueRecipient(long Id, EnvelopeRecipient Recipient, int Attempts, SpoolMessage Message)
{
    public string Address => Recipient.Address;

    public string Domain => Recipient.Domain;
}

/// <summary>A recipient claimed to leave for the retry tier, with its next attempt time and last reply.</summary>
public sealed record HandOffRecipient(DueRecipient Due, DateTimeOffset NextAttemptAt, string? LastReply);

/// <summary>What to do with a claimed recipient after an attempt.</summary>
public enum OutcomeAction
{
    /// <summary>Accepted by the remote MX: removed from the spool.</summary>
    Delivered,

    /// <summary>Temporary failure: back to the queue with a later attempt time.</summary>
    Deferred,

    /// <summary>Permanent failure or expiry, its DSN (if any) already spooled: removed.</summary>
    Bounced,

    /// <summary>Not attempted (suspended domain, shutdown): back to the queue unchanged.</summary>
    Released,

    /// <summary>Removed by an operator, without a DSN (spam runs, test mail): removed.</summary>
    Deleted,
}

/// <summary>
/// The outcome of one claimed recipient; <see cref="NextAttemptAt"/> is required for
/// <see cref="OutcomeAction.Deferred"/>. <see cref="Event"/>, the event that reports it, is stored in
/// the same commit: a crash neither loses it nor leaves it without its outcome.
/// </summary>
public sealed record RecipientOutcome(long RecipientId, OutcomeAction Action, DateTimeOffset? NextAttemptAt = null, string? LastReply = null, SpoolEvent? Event = null);

/// <summary>One destination domain's queue, as an operator sees it.</summary>
public sealed record DomainQueueSummary(string Domain, long Due, long Deferred, long InFlight, DateTimeOffset OldestArrival);

/// <summary>Recipients an operator acts on: all of a domain's, or all of one message's.</summary>
/// <param name="AcceptedBy">Only recipients of messages accepted at or before this moment (an operator's action as other silos apply it later).</param>
public sealed record RecipientSelector(string? Domain, string? QueueId, DateTimeOffset? AcceptedBy = null)
{
    public static RecipientSelector ForDomain(string domain) => new(domain, null);

    public static RecipientSelector ForMessage(string queueId) => new(null, queueId);
}

/// <summary>
/// Mail a claim leaves in the queue, because its egress pool cannot send now: messages whose pool
/// is one of <see cref="Named"/>, and those without one (which go through the default pool) when
/// <see cref="Unnamed"/>. <see cref="Named"/> as the spool stores them (each pool's own spelling).
/// </summary>
public sealed record PoolExclusion(IReadOnlyList<string> Named, bool Unnamed);

/// <summary>An event for the sender's systems as the spool keeps it: when it happened, and its body as the events room wrote it.</summary>
public sealed record SpoolEvent(DateTimeOffset Time, byte[] Body);

/// <summary>An event in the journal; <see cref="Position"/> counts up, and a sink's cursor is the last position it has.</summary>
public sealed record StoredEvent(long Position, DateTimeOffset Time, byte[] Body);

/// <summary>What a sink still has to take after its cursor: events, their bytes, and the time of the oldest.</summary>
public sealed record EventBacklog(long Events, long Bytes, DateTimeOffset? Oldest)
{
    public static readonly EventBacklog None = new(0, 0, null);
}
