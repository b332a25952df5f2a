using System.Buffers;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// Ingress policy and storage behind every SMTP session, each concern in its part:
/// <see cref="EnvelopeAdmission"/> at MAIL and RCPT, <see cref="Authenticator"/> for AUTH,
/// <see cref="TraceFields"/> when content starts, and <see cref="MessageCommit"/> at its end.
/// </summary>
internal sealed class SpoolingSessionHost(
    EnvelopeAdmission admission, Authenticator authenticator, TraceFields trace, MessageCommit commit, IngressEvents events, FeedbackLoop feedback, IngressMetrics metrics) : ISmtpSessionHost
{
    /// <summary>The user's checks first (they may reserve a place in its hourly count), then the spool's room for the declared size.</summary>
    public SmtpReply? AuthorizeSender(SmtpSessionInfo session, SmtpTransaction transaction) =>
        admission.AuthorizeSender(session, transaction) ?? commit.RoomFor(transaction.Parameters.Size ?? 0);

    public ValueTask<AuthVerdict> AuthenticateAsync(SmtpSessionInfo session, string user, string password, CancellationToken cancellationToken) =>
        authenticator.AuthenticateAsync(session.Remote, user, password, cancellationToken);

    /// <summary>A feedback-loop address takes reports from anyone, in a transaction of their own; every other recipient passes the admission's checks.</summary>
    public SmtpReply? AuthorizeRecipient(SmtpSessionInfo session, SmtpTransaction transaction, Mailbox recipient)
    {
        if (feedback.Mixes(transaction, recipient) is { } apart)
        {
            metrics.Rejected(apart.Code);
            return apart;
        }
        if (feedback.IsReportAddress(recipient))
        {
            return null;
        }
        var refusal = admission.AuthorizeRecipient(session, recipient, transaction.Recipients.Count);
        if (refusal == SmtpReplies.Suppressed)
        {
            events.Suppressed(session, transaction, recipient);
        }
        return refusal;
    }

    public void BeginMessage(SmtpSessionInfo session, SmtpTransaction transaction, IBufferWriter<byte> body) =>
        trace.Stamp(session, transaction, body);

    public void MessageRefused(SmtpSessionInfo session, SmtpReply reply) => metrics.Rejected(reply.Code);

    public ValueTask<SmtpReply> CommitAsync(SmtpSessionInfo session, SmtpTransaction transaction, MessageContent body, CancellationToken cancellationToken) =>
        feedback.IsReport(transaction) ? feedback.TakeAsync(session, transaction, body, cancellationToken) : commit.CommitAsync(session, transaction, body, cancellationToken);
}
