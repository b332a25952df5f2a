using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Client;

/// <summary>Checks, before anything is sent, that the peer can take this message at all.</summary>
internal static class TransactionGuard
{
    /// <summary>The permanent reply that stops the transaction, or null when it may go ahead.</summary>
    public static SmtpReply? Check(SmtpEnvelope envelope, ContentFacts content, SmtpExtensions peer)
    {
        // RFC 6531 3.2: no downgrade; a message that needs SMTPUTF8 bounces with 5.6.7.
        if (envelope.NeedsSmtpUtf8(content.Has8Bit) && !peer.Has(SmtpExtension.SmtpUtf8))
        {
            return SmtpReplies.SmtpUtf8NotSupported;
        }
        // RFC 6152 3: no 8-bit octets to a 7-bit peer; we do not convert (5.6.3).
        if (content.Has8Bit && !peer.Has(SmtpExtension.EightBitMime))
        {
            return SmtpReplies.EightBitMimeNotSupported;
        }
        // RFC 1870 6: a message over the announced SIZE would be refused anyway (5.3.4).
        if (peer.MaxSize is { } max && content.Size > max)
        {
            return SmtpReplies.ExceedsRemoteSize(content.Size, max);
        }
        return null;
    }
}
