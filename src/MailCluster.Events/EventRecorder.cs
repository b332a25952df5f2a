using MailCluster.Spool;

namespace MailCluster.Events;

/// <summary>
/// Makes the events the other rooms report: each one's stable id, this silo's name, and the
/// message's fields; the stored form goes into the caller's own spool write, so the event and its
/// outcome commit together. Without a sink (<see cref="Enabled"/> false) callers make none.
/// </summary>
public sealed class EventRecorder(EventsOptions options, IEventJournal journal, string silo)
{
    public bool Enabled => options.Enabled;

    /// <summary>An event of <paramref name="kind"/> about a recipient of a stored message; the caller adds what the happening has.</summary>
    public DeliveryEvent For(EventKind kind, SpoolMessage message, string recipient, DateTimeOffset time) =>
        new(NewId(time), kind, time, silo, message.QueueId, message.MessageIdHeader, message.Sender, recipient, message.Submitter, Pool: message.Pool);

    /// <summary>An event that goes with no message of the spool: a refusal at RCPT, a complaint about mail long delivered.</summary>
    public DeliveryEvent Standalone(EventKind kind, string sender, string recipient, string? user, string client, DateTimeOffset time) =>
        new(NewId(time), kind, time, silo, QueueId: null, MessageId: null, sender, recipient, user, client);

    /// <summary>The form the spool stores, for the caller's write.</summary>
    public static SpoolEvent Stored(DeliveryEvent happened) => new(happened.Time, happened.ToJson());

    /// <summary>Stores events that go with no other write; completes when they are durable.</summary>
    public ValueTask RecordAsync(IReadOnlyList<DeliveryEvent> happened, CancellationToken cancellationToken) =>
        journal.AppendAsync([.. happened.Select(Stored)], cancellationToken);

    /// <summary>Version 7: ordered by time, unique without coordination between silos.</summary>
    private static string NewId(DateTimeOffset time) => Guid.CreateVersion7(time).ToString("N");
}
