using System.Globalization;
using System.Text;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Client;

/// <summary>Formats MAIL FROM and RCPT TO with exactly the parameters the peer announced (RFC 5321 4.1.1.2-3).</summary>
internal static class CommandLines
{
    public static string MailFrom(SmtpEnvelope envelope, ContentFacts content, SmtpExtensions peer)
    {
        var line = new StringBuilder("MAIL FROM:<").Append(envelope.Sender).Append('>');
        if (peer.Has(SmtpExtension.Size))
        {
            line.Append(" SIZE=").Append(content.Size.ToString(CultureInfo.InvariantCulture));
        }
        if (content.Has8Bit)
        {
            line.Append(" BODY=8BITMIME");
        }
        if (envelope.NeedsSmtpUtf8(content.Has8Bit))
        {
            line.Append(" SMTPUTF8");
        }
        // RFC 3461 4: DSN parameters go only to a server that announced DSN.
        if (peer.Has(SmtpExtension.Dsn))
        {
            var parameters = envelope.Parameters;
            if (parameters.Return != DsnReturn.Unspecified)
            {
                line.Append(" RET=").Append(DsnParameterText.Format(parameters.Return));
            }
            if (parameters.EnvelopeId is not null && Xtext.Encode(parameters.EnvelopeId) is { } envId)
            {
                line.Append(" ENVID=").Append(envId);
            }
        }
        return line.ToString();
    }

    public static string RcptTo(Recipient recipient, SmtpExtensions peer)
    {
        var line = new StringBuilder("RCPT TO:<").Append(recipient.Mailbox).Append('>');
        if (peer.Has(SmtpExtension.Dsn))
        {
            var notify = recipient.Parameters.Notify;
            if (notify != DsnNotify.Unspecified)
            {
                line.Append(" NOTIFY=").Append(DsnParameterText.Format(notify));
            }
            // RFC 3461 4.2: ORCPT=addr-type ";" xtext; a non-ASCII original (RFC 6533 utf-8-addr-xtext) is left out.
            if (recipient.Parameters.OriginalRecipient is { } orcpt && orcpt.IndexOf(';', StringComparison.Ordinal) is > 0 and var semi
                && Xtext.Encode(orcpt[(semi + 1)..]) is { } address)
            {
                line.Append(" ORCPT=").Append(orcpt.AsSpan(0, semi)).Append(';').Append(address);
            }
        }
        return line.ToString();
    }
}
