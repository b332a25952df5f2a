using System.Buffers;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>The seam between the protocol and the rest of the silo: relay policy and the spool.</summary>
public interface ISmtpSessionHost
{
    /// <summary>
    /// At MAIL, after the syntax and size checks (the declared size is in the transaction's
    /// parameters): null to go on, otherwise the refusal to send (e.g. 452 4.3.1 while storage is
    /// short, RFC 1870 6.1 when the declared size does not fit). The host may set the
    /// transaction's <see cref="SmtpTransaction.Reservation"/>.
    /// </summary>
    SmtpReply? AuthorizeSender(SmtpSessionInfo session, SmtpTransaction transaction);

    /// <summary>
    /// AUTH's credentials (RFC 4954): 235 and the user's canonical name when they are right (the
    /// session then counts as that user, by that name), otherwise the reply to send (535, 454 when
    /// the silo cannot check now, or 421 to close for an address that failed too often).
    /// </summary>
    ValueTask<AuthVerdict> AuthenticateAsync(SmtpSessionInfo session, string user, string password, CancellationToken cancellationToken);

    /// <summary>Relay policy at RCPT: null to accept the recipient, otherwise the refusal to send; the transaction holds the recipients accepted before it.</summary>
    SmtpReply? AuthorizeRecipient(SmtpSessionInfo session, SmtpTransaction transaction, Mailbox recipient);

    /// <summary>Called once when content starts: sets <see cref="SmtpTransaction.QueueId"/> and writes trace headers (RFC 5321 4.4).</summary>
    void BeginMessage(SmtpSessionInfo session, SmtpTransaction transaction, IBufferWriter<byte> body);

    /// <summary>The session refused a message at its end (size, bare line endings, NUL, long lines): for metrics and logs.</summary>
    void MessageRefused(SmtpSessionInfo session, SmtpReply reply);

    /// <summary>
    /// Makes the message durable. Returns 250 only after the message and all its recipients are
    /// committed; otherwise the 4xx the client should see. Must not throw for storage failures.
    /// </summary>
    ValueTask<SmtpReply> CommitAsync(SmtpSessionInfo session, SmtpTransaction transaction, MessageContent body, CancellationToken cancellationToken);
}
