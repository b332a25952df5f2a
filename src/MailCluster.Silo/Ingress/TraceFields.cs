using System.Buffers;
using MailCluster.Mime.Headers;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Spool;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// What a message gets when its content starts: its queue id, and our Received: field
/// (RFC 5321 4.4) before the first octet the client sends.
/// </summary>
internal sealed class TraceFields(QueueIdGenerator queueIds, TimeProvider time)
{
    public void Stamp(SmtpSessionInfo session, SmtpTransaction transaction, IBufferWriter<byte> body)
    {
        transaction.QueueId = queueIds.Next();
        ReceivedHeader.Write(body, new ReceivedInfo(
            session.HeloName ?? "unknown",
            session.Remote.Address.ToString(),
            session.ServerName,
            Protocol(session, transaction),
            transaction.QueueId,
            // RFC 5321 4.4: "for" names the recipient only when there is exactly one.
            transaction.Recipients.Count == 1 ? transaction.Recipients[0].Mailbox.ToString() : null,
            session.TlsProtocol is { } tls ? TlsProtocolName.Of(tls) : null,
            time.GetUtcNow()));
    }

    // RFC 3848 / RFC 6531 3.7.3: the "with" protocol names.
    private static string Protocol(SmtpSessionInfo session, SmtpTransaction transaction) =>
        (transaction.Parameters.SmtpUtf8 ? "UTF8SMTP" : session.IsExtended ? "ESMTP" : "SMTP")
        + (session.TlsProtocol is null ? string.Empty : "S");
}
