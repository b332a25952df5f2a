using MailCluster.Delivery.Egress;
using MailCluster.Events;
using MailCluster.Spool;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Outcomes;

/// <summary>
/// The delivery events of attempt outcomes: carried into the spool's commit with a local job's
/// outcomes, or, for a retry-tier job, stored in this silo's journal before the tier ends the entry.
/// </summary>
internal sealed class OutcomeEvents(EventRecorder events, TimeProvider time, ILogger logger)
{
    /// <summary>Each outcome carries its event into the spool's commit; a bounce's names the DSN that reported it.</summary>
    public void AttachTo(List<RecipientOutcome> outcomes, List<(DueRecipient Recipient, DeliveryOutcome Outcome, DateTimeOffset? Next)> decided, MxEndpoint? endpoint, string? dsn, DateTimeOffset now)
    {
        for (var i = 0; i < outcomes.Count; i++)
        {
            outcomes[i] = outcomes[i] with { Event = EventRecorder.Stored(Happened(decided[i], endpoint, dsn, now)) };
        }
    }

    /// <summary>
    /// A retry-tier entry's events go into this silo's journal before the tier ends the entry: a
    /// crash after them finds them in the spool at restart (their ids stable), and a crash before
    /// the tier's rewrite lets another silo attempt the entry again, which is another outcome with
    /// an event of its own. The tier writes the DSN later, so a bounce's event names none.
    /// </summary>
    public async Task RecordTierAsync(List<(DueRecipient Recipient, DeliveryOutcome Outcome, DateTimeOffset? Next)> decided, MxEndpoint? endpoint, DateTimeOffset now)
    {
        var happened = new DeliveryEvent[decided.Count];
        for (var i = 0; i < happened.Length; i++)
        {
            happened[i] = Happened(decided[i], endpoint, dsn: null, now);
        }
        try
        {
            await PersistentWrite.RunAsync(
                async () =>
                {
                    await events.RecordAsync(happened, CancellationToken.None);
                    return true;
                },
                time);
        }
        catch (SpoolUnavailableException exception)
        {
            // The outcome stands in the tier (its truth); only its events are missing, and said so.
            Log.EventsNotRecorded(logger, happened.Length, exception.Message);
        }
    }

    /// <summary>The event of one recipient's outcome; a bounce's names the DSN that reported it, when there is one yet.</summary>
    private DeliveryEvent Happened((DueRecipient Recipient, DeliveryOutcome Outcome, DateTimeOffset? Next) decided, MxEndpoint? endpoint, string? dsn, DateTimeOffset now)
    {
        var (recipient, outcome, next) = decided;
        var kind = outcome.Verdict switch
        {
            DeliveryVerdict.Delivered => EventKind.Delivery,
            DeliveryVerdict.Deferred => EventKind.TransientFailure,
            _ when outcome.Expired => EventKind.Expiration,
            _ when outcome.ByOperator => EventKind.AdminBounce,
            _ => EventKind.Bounce,
        };
        return events.For(kind, recipient.Message, recipient.Address, now) with
        {
            Source = endpoint?.Source,
            Attempt = outcome.ByOperator ? null : recipient.Attempts + 1,
            MxHost = endpoint?.Host,
            MxAddress = endpoint?.Address,
            Status = outcome.Status.ToString(),
            Reply = outcome.Reason,
            Category = outcome.Verdict == DeliveryVerdict.Delivered ? null : outcome.Category.ToString(),
            Rule = outcome.Rule,
            NextAttempt = next,
            DsnQueueId = outcome.Verdict == DeliveryVerdict.Bounced ? dsn : null,
        };
    }
}
