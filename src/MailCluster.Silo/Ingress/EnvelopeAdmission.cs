using MailCluster.Delivery.Suppression;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// Who may send to whom, decided at MAIL and RCPT: the authenticated user's sender domains and
/// quotas, relay control for everyone else, and the suppression list. Every refusal is counted.
/// </summary>
internal sealed class EnvelopeAdmission(RelayPolicy relay, SuppressionList suppressions, SubmissionUsers users, HourlyCounts hourly, IngressMetrics metrics)
{
    /// <summary>Null to go on; may set the transaction's reservation, which the session releases if the message is not committed.</summary>
    public SmtpReply? AuthorizeSender(SmtpSessionInfo session, SmtpTransaction transaction)
    {
        if (session.AuthenticatedUser is not { } name)
        {
            return null;
        }
        var user = users.Find(name);
        // An authenticated user sends only as its own domains (else any user would get any domain's DKIM signature).
        if (transaction.ReversePath.Mailbox is { } from && user?.MaySendAs(from.Domain) != true)
        {
            return Rejected(SmtpReplies.SenderNotAllowed);
        }
        // The place in the hourly count is taken now and given back if the message is not
        // committed, so parallel sessions cannot all pass the check before one commits.
        if (user?.MessagesPerHour is { } limit)
        {
            if (hourly.TryReserve(user.Name, limit) is not { } reservation)
            {
                return Rejected(SmtpReplies.UserHourlyLimit);
            }
            transaction.Reservation = reservation;
        }
        return null;
    }

    /// <summary>Null to accept the recipient; <paramref name="accepted"/> recipients of the transaction were accepted before it.</summary>
    public SmtpReply? AuthorizeRecipient(SmtpSessionInfo session, Mailbox recipient, int accepted)
    {
        // RFC 5321 4.5.3.1.10: 452, so the client sends the rest in another transaction.
        if (session.AuthenticatedUser is { } name && users.Find(name)?.RecipientsPerMessage is { } most && accepted >= most)
        {
            return Rejected(SmtpReplies.UserRecipientLimit);
        }
        // Suppression is looked up in this silo's copy of the list: no storage call per RCPT.
        // An authenticated user relays from any address; everyone else must be in the trusted networks.
        var refusal = (session.AuthenticatedUser is null ? relay.Authorize(session.Remote.Address) : null)
            ?? (suppressions.IsSuppressed(recipient.ToString()) ? SmtpReplies.Suppressed : null);
        return refusal is { } denied ? Rejected(denied) : null;
    }

    private SmtpReply Rejected(SmtpReply reply)
    {
        metrics.Rejected(reply.Code);
        return reply;
    }
}
