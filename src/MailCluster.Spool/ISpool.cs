using System.Buffers;

namespace MailCluster.Spool;

/// <summary>
/// Taking new mail (ingress, and the DSNs delivery writes). Completes only when the message is
/// durable. Failures are <see cref="SpoolUnavailableException"/> or <see cref="SpoolFullException"/>;
/// the caller maps them to its protocol's replies.
/// </summary>
public interface ISpoolIntake
{
    /// <summary>
    /// Stores a message and all its recipients. Completes only when they are durable (fsync'd);
    /// concurrent calls share commits (group commit). It does not ask <see cref="Headroom"/>: the
    /// caller takes the room first (<see cref="SpoolHeadroom.TryTake"/> for new mail,
    /// <see cref="SpoolHeadroom.TryTakeForDsn"/> for DSNs, which may use half the reserve).
    /// </summary>
    ValueTask EnqueueAsync(SpoolEnvelope envelope, SpoolContent content, CancellationToken cancellationToken);

    /// <summary>Why the spool cannot commit right now, or null when healthy. Cheap: no I/O, no awaits.</summary>
    string? UnhealthyReason { get; }

    /// <summary>The free space kept for the spool's own writes; ingress refuses new mail that would cut into it.</summary>
    SpoolHeadroom Headroom { get; }
}

/// <summary>The delivery queue: the schedule of due recipients, their claims, their content and their outcomes.</summary>
public interface IDeliveryQueue
{
    /// <summary>Destination domains with recipients due at or before <paramref name="now"/> and not claimed (the schedule).</summary>
    ValueTask<IReadOnlyList<string>> GetDueDomainsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>The earliest next-attempt time of any unclaimed recipient, or null when nothing is queued.</summary>
    ValueTask<DateTimeOffset?> GetNextDueTimeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="limit"/> due recipients of a domain for delivery, recipients of
    /// one message together, leaving those of the pools <paramref name="except"/> names in the queue.
    /// Claimed recipients are not handed out again until their outcome is recorded, or until the
    /// spool's owner changes (restart, lease takeover).
    /// </summary>
    ValueTask<IReadOnlyList<DueRecipient>> ClaimDueAsync(string domain, DateTimeOffset now, int limit, PoolExclusion? except, CancellationToken cancellationToken);

    /// <summary>
    /// Appends the stored content of a message, exactly as accepted (trace headers included), to
    /// <paramref name="destination"/>; false when the message is not in the spool. Callers on hot
    /// paths reuse their writer, so reading a message allocates nothing per message.
    /// </summary>
    ValueTask<bool> ReadContentAsync(string queueId, IBufferWriter<byte> destination, CancellationToken cancellationToken);

    /// <summary>Records attempt outcomes durably, in one commit: removes delivered, bounced and deleted recipients (and finished messages), reschedules deferred ones.</summary>
    ValueTask RecordOutcomesAsync(IReadOnlyList<RecipientOutcome> outcomes, CancellationToken cancellationToken);
}

/// <summary>What operators do to the queue: look at a message or the domains, retry now, or claim recipients to bounce or delete.</summary>
public interface ISpoolOperations
{
    /// <summary>The stored envelope and recipients of a message, or null when it is not in the spool.</summary>
    ValueTask<QueuedMessage?> GetMessageAsync(string queueId, CancellationToken cancellationToken);

    /// <summary>Per destination domain: recipients due now, waiting for a later attempt, and in flight, with the oldest arrival.</summary>
    ValueTask<IReadOnlyList<DomainQueueSummary>> GetDomainSummariesAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Makes the selected queued recipients due at <paramref name="at"/> (an operator's "retry now"); returns how many.</summary>
    ValueTask<int> RescheduleAsync(RecipientSelector selector, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Claims every selected queued recipient whatever its next attempt time (an operator's bounce or delete).</summary>
    ValueTask<IReadOnlyList<DueRecipient>> ClaimSelectedAsync(RecipientSelector selector, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="limit"/> queued recipients with at least <paramref name="minAttempts"/>
    /// attempts (1: the deferred ones; 0: all), whatever their next attempt time, a message's recipients
    /// of one domain together, with their schedule: what the retry tier takes over.
    /// </summary>
    ValueTask<IReadOnlyList<HandOffRecipient>> ClaimForHandOffAsync(int minAttempts, int limit, CancellationToken cancellationToken);
}

/// <summary>
/// The event journal: events for the sender's systems, kept in the spool until every sink has taken
/// them. Most are stored with the write whose outcome they report (<see cref="SpoolEnvelope.Events"/>,
/// <see cref="RecipientOutcome.Event"/>); the journal counts against the spool's room like any row.
/// </summary>
public interface IEventJournal
{
    /// <summary>Stores events that report no spool write of their own (a refusal at RCPT); completes when they are durable.</summary>
    ValueTask AppendAsync(IReadOnlyList<SpoolEvent> events, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> events after <paramref name="after"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<StoredEvent>> ReadAsync(long after, int limit, CancellationToken cancellationToken);

    /// <summary>The sink's saved cursor: the last position it has taken (0 before any).</summary>
    ValueTask<long> ReadCursorAsync(string sink, CancellationToken cancellationToken);

    /// <summary>Saves the sink's cursor durably; a cursor never moves back.</summary>
    ValueTask SaveCursorAsync(string sink, long position, CancellationToken cancellationToken);

    /// <summary>What is left after <paramref name="after"/>.</summary>
    ValueTask<EventBacklog> BacklogAsync(long after, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the events every sink has taken (through <paramref name="takenByAll"/>), then drops
    /// the oldest while the rest is over <paramref name="maxBytes"/>; returns how many were dropped untaken.
    /// </summary>
    ValueTask<int> TrimAsync(long takenByAll, long maxBytes, CancellationToken cancellationToken);

    /// <summary>Completes after the next commit that stores events. A reader takes it before it reads, so an append between its read and its wait is not missed.</summary>
    Task NextAppend();
}

/// <summary>What monitoring reads.</summary>
internal interface ISpoolStatistics
{
    /// <summary>How many messages and recipients (by state) the spool holds.</summary>
    ValueTask<SpoolCounts> CountAsync(CancellationToken cancellationToken);

    /// <summary>Counts, the oldest queued arrival and the storage used: what operators watch.</summary>
    ValueTask<SpoolStatistics> GetStatisticsAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The whole local spool: every role above, implemented by one store (the embedded SQLite spool).
/// Callers take the narrowest role they need. No storage types cross it, and its failures are only
/// <see cref="SpoolUnavailableException"/> and <see cref="SpoolFullException"/>.
/// </summary>
internal interface ISpool : ISpoolIntake, IDeliveryQueue, ISpoolOperations, ISpoolStatistics, IEventJournal, IAsyncDisposable;
