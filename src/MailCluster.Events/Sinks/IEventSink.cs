namespace MailCluster.Events.Sinks;

/// <summary>
/// The one contract every sink keeps (webhook and AMQP; Kafka or a queue could follow), held by the
/// conformance suite in the tests. <see cref="DeliverAsync"/> returns only when the receiver has
/// the whole batch (a 2xx, a broker's confirms); otherwise it throws
/// <see cref="EventSinkException"/>, and the same batch is offered again after a pause. So every
/// event arrives at least once, in order per recipient, and a receiver drops repeats by event id.
/// </summary>
public interface IEventSink : IAsyncDisposable
{
    /// <summary>The batch's events, oldest first, each the JSON object the journal stores.</summary>
    Task DeliverAsync(EventBatch batch, CancellationToken cancellationToken);
}

/// <summary>Events for one delivery: their journal positions and their JSON, oldest first.</summary>
public sealed record EventBatch(long First, long Last, IReadOnlyList<ReadOnlyMemory<byte>> Events);

/// <summary>A delivery that failed. <see cref="Disables"/>: the receiver said never again (a webhook's 410 Gone).</summary>
public sealed class EventSinkException(string message, bool disables = false, Exception? inner = null) : Exception(message, inner)
{
    public bool Disables { get; } = disables;
}
