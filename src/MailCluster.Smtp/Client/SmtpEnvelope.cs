using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Client;

/// <summary>
/// One transaction's envelope. Of <paramref name="Parameters"/> the client uses
/// <see cref="MailParameters.SmtpUtf8"/> (the submitter asked for it), RET and ENVID; SIZE and BODY
/// are worked out from the content as sent. A bounce (DSN) is sent with <see cref="ReversePath"/>
/// null (RFC 5321 4.5.5).
/// </summary>
public sealed record SmtpEnvelope(ReversePath Sender, IReadOnlyList<Recipient> Recipients, MailParameters Parameters)
{
    /// <summary>
    /// RFC 6531 3.2: SMTPUTF8 is needed for a non-ASCII address, or when the submitter asked for it
    /// and the content is 8-bit (its headers may be UTF-8).
    /// </summary>
    internal bool NeedsSmtpUtf8(bool contentHas8Bit) =>
        Sender.Mailbox?.IsInternational == true
        || Recipients.Any(r => r.Mailbox.IsInternational)
        || (Parameters.SmtpUtf8 && contentHas8Bit);
}

/// <summary>
/// What became of one recipient: the reply that decides it (the MAIL, RCPT or final reply, or a
/// reply the client made up when a guard stopped the transaction), or null when the content was
/// sent but the connection failed before the final reply.
/// </summary>
public sealed record SmtpRecipientResult(Recipient Recipient, SmtpReply? Reply, SmtpPhase Phase)
{
    /// <summary>
    /// Neither delivered nor failed: the peer may or may not have taken the message (RFC 5321 6.1).
    /// Retry it, and count a possible duplicate.
    /// </summary>
    public bool IsOutcomeUnknown => Reply is null;
}

/// <summary>The result of <see cref="SmtpClientConnection.SendAsync"/>, one entry per recipient in envelope order.</summary>
/// <param name="ContentSent">True when the message content went on the wire.</param>
/// <param name="UnknownOutcomeCause">Why the outcome is unknown, for the delivery log; null otherwise.</param>
public sealed record SmtpTransactionResult(IReadOnlyList<SmtpRecipientResult> Recipients, bool ContentSent, SmtpProtocolException? UnknownOutcomeCause)
{
    public bool IsOutcomeUnknown => UnknownOutcomeCause is not null;

    internal static SmtpTransactionResult AllGet(SmtpEnvelope envelope, SmtpReply reply) =>
        new([.. envelope.Recipients.Select(r => new SmtpRecipientResult(r, reply, SmtpPhase.Mail))], ContentSent: false, null);
}
