using MailCluster.Delivery.Actors;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Spool;
using Microsoft.Extensions.Logging;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// A finished message made durable: its egress pool chosen and the pool header taken out
/// (<see cref="PoolChoice"/>), its authors checked and signed (<see cref="AuthorshipSigning"/>),
/// room taken above the spool's reserve, the envelope and content enqueued, delivery woken. The one
/// place spool failures become SMTP replies.
/// </summary>
internal sealed class MessageCommit(ISpoolIntake spool, PoolChoice pools, AuthorshipSigning signing, IngressEvents events, IngressMetrics metrics, DeliveryTrigger delivery, TimeProvider time, ILogger<MessageCommit> logger)
{
    /// <summary>New mail that would cut into the spool's reserve waits: 452 4.3.1 (RFC 3463 4.3.1, RFC 1870 6.1); null while it fits.</summary>
    public SmtpReply? RoomFor(long declaredSize) => Refusal(spool.Headroom.Refuses(declaredSize));

    /// <summary>250 with the queue id only once the message and all its recipients are committed; otherwise the refusal. Never throws for storage failures.</summary>
    public async ValueTask<SmtpReply> CommitAsync(SmtpSessionInfo session, SmtpTransaction transaction, MessageContent body, CancellationToken cancellationToken)
    {
        var queueId = transaction.QueueId!;
        var started = time.GetTimestamp();
        // The pool header goes before signing: what is signed is what is spooled and sent.
        if (!pools.TryChoose(session, body, out var kept, out var pool, out var refusal))
        {
            return refusal;
        }
        if (!signing.TrySign(session, kept, out var content, out refusal))
        {
            return refusal;
        }
        // The reserve is checked again with the real size, and the room taken at once: the space
        // may have gone since MAIL, and other sessions are committing too.
        if (Refusal(spool.Headroom.TryTake(content.Length)) is { } full)
        {
            return full;
        }
        try
        {
            await spool.EnqueueAsync(ToEnvelope(session, transaction, body, content.Length, pool), content, cancellationToken);
        }
        catch (SpoolUnavailableException exception)
        {
            spool.Headroom.Return(content.Length);
            // 452 4.3.1 when full, else 451 4.3.0: the client keeps the message and retries.
            Log.SpoolCommitFailed(logger, queueId, session.Remote, exception.Message);
            var failure = exception is SpoolFullException ? SmtpReplies.SpoolFull : SmtpReplies.SpoolUnavailable;
            metrics.Rejected(failure.Code);
            return failure;
        }
        metrics.Accepted(content.Length, time.GetElapsedTime(started));
        (transaction.Reservation as HourlyReservation)?.Commit();
        delivery.Notify();
        Log.MessageAccepted(logger, queueId, session.Remote, transaction.ReversePath.ToString(), transaction.Recipients.Count, content.Length, pool ?? "(default)");
        return SmtpReplies.Queued(queueId);
    }

    private SmtpReply? Refusal(string? shortOfSpace)
    {
        if (shortOfSpace is null)
        {
            return null;
        }
        metrics.Rejected(SmtpReplies.SpoolFull.Code);
        return SmtpReplies.SpoolFull;
    }

    /// <param name="pool">The configured name of the pool chosen at DATA; null: the default pool at send time.</param>
    private SpoolEnvelope ToEnvelope(SmtpSessionInfo session, SmtpTransaction transaction, MessageContent body, long size, string? pool)
    {
        var parameters = transaction.Parameters;
        var recipients = new EnvelopeRecipient[transaction.Recipients.Count];
        for (var i = 0; i < recipients.Length; i++)
        {
            var recipient = transaction.Recipients[i];
            recipients[i] = new EnvelopeRecipient(
                recipient.Mailbox.ToString(),
                recipient.Mailbox.Domain.ToLowerInvariant(),
                recipient.Parameters.Notify,
                recipient.Parameters.OriginalRecipient);
        }
        var message = new SpoolMessage(
            transaction.QueueId!,
            transaction.ReversePath.ToString(),
            time.GetUtcNow(),
            size,
            parameters.EnvelopeId,
            parameters.Return,
            parameters.SmtpUtf8,
            parameters.Body == BodyType.EightBitMime,
            pool,
            events.MessageIdOf(body),
            events.Enabled ? session.AuthenticatedUser : null);
        return new SpoolEnvelope(message, recipients, events.Receptions(session, message, recipients));
    }
}
