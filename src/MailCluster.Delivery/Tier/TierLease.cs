using MailCluster.Cluster.RetryTier;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Spool;

namespace MailCluster.Delivery.Tier;

/// <summary>
/// A received retry-tier entry while this silo holds it: its jobs (an entry with more recipients
/// than a transaction takes is several), the outcomes they bring back, and the one gate every
/// storage call on the entry passes, so that extensions and the final rewrite use the latest pop
/// receipt. <see cref="Lost"/> once another silo took the entry over: it is then never touched.
/// </summary>
internal sealed class TierLease
{
    private readonly List<(DueRecipient Recipient, DeliveryOutcome? Outcome, DateTimeOffset? Next)> _outcomes = [];
    private readonly Action<TierLease> _ended;
    private int _pendingJobs;

    public TierLease(ReceivedEntry received, DateTimeOffset receivedAt, Action<TierLease> ended)
    {
        _ended = ended;
        Received = received;
        ReceivedAt = receivedAt;
        RenewedAt = receivedAt;
    }

    public ReceivedEntry Received { get; }

    public RetryEntry Entry => Received.Entry;

    public DateTimeOffset ReceivedAt { get; }

    /// <summary>When the entry's invisibility was last set: receive, extension.</summary>
    public DateTimeOffset RenewedAt { get; set; }

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public bool Lost { get; set; }

    /// <summary>Set once the entry was deleted, rescheduled or put back: no more extensions.</summary>
    public bool Finished { get; private set; }

    /// <summary>This silo is done with the entry: its slot in the consumer frees.</summary>
    public void Finish()
    {
        if (!Finished)
        {
            Finished = true;
            _ended(this);
        }
    }

    /// <summary>The entry as jobs of at most <paramref name="perTransaction"/> recipients, all answering to this lease.</summary>
    public IReadOnlyList<DeliveryJob> Jobs(int perTransaction)
    {
        var recipients = Entry.Recipients.Select((r, i) => new DueRecipient(i, r, Entry.Attempts, Entry.Message)).ToList();
        var jobs = recipients.Chunk(Math.Max(1, perTransaction)).Select(chunk => new DeliveryJob(Entry.Message, chunk, this)).ToList();
        _pendingJobs = jobs.Count;
        return jobs;
    }

    /// <summary>Adds one job's outcomes (null: not attempted, handed back); true, with all of them, when it was the last job out.</summary>
    public bool Complete(IEnumerable<(DueRecipient, DeliveryOutcome?, DateTimeOffset?)> outcomes, out IReadOnlyList<(DueRecipient Recipient, DeliveryOutcome? Outcome, DateTimeOffset? Next)> all)
    {
        lock (_outcomes)
        {
            _outcomes.AddRange(outcomes);
            all = _outcomes;
            return --_pendingJobs == 0;
        }
    }
}
