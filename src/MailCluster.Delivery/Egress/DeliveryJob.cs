using MailCluster.Delivery.Outcomes;
using MailCluster.Spool;

namespace MailCluster.Delivery.Egress;

/// <summary>
/// One SMTP transaction's worth of work: a message and some of its recipients at one domain, from
/// the local spool or (with <see cref="Tier"/>) from a retry-tier entry this silo holds.
/// </summary>
internal sealed record DeliveryJob(SpoolMessage Message, IReadOnlyList<DueRecipient> Recipients, Tier.TierLease? Tier = null)
{
    /// <summary>Claimed recipients as transactions: one per message, at most <paramref name="perTransaction"/> recipients each (recipients of a message arrive together).</summary>
    public static List<DeliveryJob> Batch(IReadOnlyList<DueRecipient> recipients, int perTransaction)
    {
        var jobs = new List<DeliveryJob>();
        var batch = new List<DueRecipient>();
        foreach (var recipient in recipients)
        {
            if (batch.Count > 0 && (batch.Count == perTransaction || batch[0].Message != recipient.Message))
            {
                jobs.Add(new DeliveryJob(batch[0].Message, batch));
                batch = [];
            }
            batch.Add(recipient);
        }
        if (batch.Count > 0)
        {
            jobs.Add(new DeliveryJob(batch[0].Message, batch));
        }
        return jobs;
    }
}

/// <summary>Which MX host and address an attempt used, over what TLS, and from which source, for the delivery log.</summary>
internal sealed record MxEndpoint(string Host, string Address, string? TlsProtocol, string? Source = null);

/// <summary>What one attempt produced: an outcome per recipient (same order as the job's), and whether the connection can carry another transaction.</summary>
internal sealed record JobResult(DeliveryJob Job, IReadOnlyList<DeliveryOutcome> Outcomes, MxEndpoint? Endpoint, TimeSpan Latency, bool ConnectionUsable, bool PossibleDuplicate = false)
{
    /// <summary>One verdict for every recipient, reached without a transaction (no connection, or one that broke before it began).</summary>
    public static JobResult Unattempted(DeliveryJob job, DeliveryOutcome outcome, MxEndpoint? endpoint = null) =>
        new(job, job.Recipients.Select(_ => outcome).ToArray(), endpoint, TimeSpan.Zero, ConnectionUsable: false);
}
