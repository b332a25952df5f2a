using MailCluster.Cluster.RetryTier;
using MailCluster.Delivery.Egress;
using MailCluster.Spool;

namespace MailCluster.Delivery.Outcomes;

/// <summary>
/// An operator's bounce or delete on this silo's spool: what the admin API does on the asked silo,
/// and what every silo does with the tombstones the others record, so an action reaches every spool.
/// </summary>
internal sealed class LocalOperatorActions(ISpoolOperations operations, IDeliveryQueue queue, AttemptRecorder recorder)
{
    /// <summary>Fails the selected recipients permanently; their senders get a DSN (RFC 3464) unless NOTIFY said otherwise.</summary>
    public async Task<int> BounceAsync(RecipientSelector selector, CancellationToken cancellationToken)
    {
        var claimed = await operations.ClaimSelectedAsync(selector, cancellationToken);
        await Task.WhenAll(claimed.GroupBy(r => (r.Message, r.Domain))
            .Select(group => recorder.RecordUnattemptedAsync(group.Key.Domain, new DeliveryJob(group.Key.Message, group.ToList()), DeliveryOutcomeClassifier.BouncedByOperator())));
        return claimed.Count;
    }

    /// <summary>Removes the selected recipients silently (no DSN): for spam runs and test mail.</summary>
    public async Task<int> DeleteAsync(RecipientSelector selector, CancellationToken cancellationToken)
    {
        var claimed = await operations.ClaimSelectedAsync(selector, cancellationToken);
        await queue.RecordOutcomesAsync(claimed.Select(r => new RecipientOutcome(r.Id, OutcomeAction.Deleted, LastReply: "deleted by operator")).ToList(), cancellationToken);
        return claimed.Count;
    }

    /// <summary>Another silo's action, on the mail this one accepted before it was taken.</summary>
    public Task<int> ApplyAsync(RetryTombstone tombstone, CancellationToken cancellationToken)
    {
        var selector = new RecipientSelector(tombstone.Domain, tombstone.QueueId, tombstone.At);
        return tombstone.Bounce ? BounceAsync(selector, cancellationToken) : DeleteAsync(selector, cancellationToken);
    }
}
