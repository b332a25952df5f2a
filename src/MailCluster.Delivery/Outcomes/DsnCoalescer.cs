using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Egress;
using MailCluster.Spool;

namespace MailCluster.Delivery.Outcomes;

/// <summary>One failed recipient as its DSN reports it: the outcome, and the MX that gave it (RFC 3464 2.3.5 Remote-MTA).</summary>
internal readonly record struct FailedRecipient(DueRecipient Recipient, DeliveryOutcome Outcome, MxEndpoint? Endpoint);

/// <summary>
/// Gathers the failed recipients of one message that are recorded within
/// <see cref="BounceOptions.CoalesceWindow"/> of the first into one DSN (RFC 3464 2: a report
/// carries any number of recipients). Each domain's job is recorded on its own, so a message to
/// 400 nonexistent domains would otherwise make 400 DSNs, each with the original in it. Every
/// caller gets the one DSN's queue id, or its failure, when it has been spooled.
/// </summary>
internal sealed class DsnCoalescer(Func<SpoolMessage, IReadOnlyList<FailedRecipient>, Task<string?>> send, TimeSpan window, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Batch> _open = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="failed"/> to its message's open DSN; completes when that DSN is spooled.</summary>
    public Task<string?> AddAsync(SpoolMessage message, IEnumerable<FailedRecipient> failed)
    {
        Batch? opened = null;
        Task<string?> sent;
        lock (_gate)
        {
            if (!_open.TryGetValue(message.QueueId, out var batch))
            {
                batch = opened = new Batch(message);
                _open.Add(message.QueueId, batch);
            }
            batch.Failed.AddRange(failed);
            sent = batch.Sent.Task;
        }
        if (opened is not null)
        {
            // Made outside the lock: a zero window fires at once, on this thread or another.
            opened.Timer = time.CreateTimer(_ => Close(opened), null, window, Timeout.InfiniteTimeSpan);
        }
        return sent;
    }

    /// <summary>Sends every open DSN now (shutdown: nothing waits for a window that may not come).</summary>
    public void CloseAll()
    {
        List<Batch> open;
        lock (_gate)
        {
            open = [.. _open.Values];
        }
        open.ForEach(Close);
    }

    private void Close(Batch batch)
    {
        lock (_gate)
        {
            // Closed once: by its timer or by CloseAll, whichever comes first.
            if (!_open.TryGetValue(batch.Message.QueueId, out var current) || current != batch)
            {
                return;
            }
            _open.Remove(batch.Message.QueueId);
        }
        batch.Timer?.Dispose();
        _ = SendAsync(batch);
    }

    private async Task SendAsync(Batch batch)
    {
        try
        {
            batch.Sent.SetResult(await send(batch.Message, batch.Failed));
        }
        catch (Exception exception)
        {
            batch.Sent.SetException(exception);
        }
    }

    private sealed class Batch(SpoolMessage message)
    {
        public SpoolMessage Message { get; } = message;

        public List<FailedRecipient> Failed { get; } = [];

        public TaskCompletionSource<string?> Sent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ITimer? Timer { get; set; }
    }
}
