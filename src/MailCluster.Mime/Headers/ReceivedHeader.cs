using System.Buffers;
using System.Globalization;
using System.Text;

namespace MailCluster.Mime.Headers;

/// <summary>The facts a Received trace header records (RFC 5321 4.4).</summary>
public sealed record ReceivedInfo(
    string HeloName,
    string ClientAddress,
    string ServerName,
    string Protocol,
    string QueueId,
    string? Recipient,
    string? TlsProtocol,
    DateTimeOffset Timestamp);

/// <summary>Writes the <c>Received:</c> header a relay prepends to every message it accepts (RFC 5321 4.4).</summary>
public static class ReceivedHeader
{
    /// <summary>
    /// RFC 5321 4.4: <c>Received: from Extended-Domain by Domain with Protocol id String for Path ; date-time</c>,
    /// folded with CRLF+TAB between clauses (RFC 5322 2.2.3).
    /// </summary>
    public static void Write(IBufferWriter<byte> output, ReceivedInfo info)
    {
        var text = new StringBuilder(256);
        text.Append("Received: from ").Append(Sanitize(info.HeloName))
            .Append(" ([").Append(info.ClientAddress).Append("])\r\n\tby ").Append(info.ServerName)
            .Append(" (MailCluster) with ").Append(info.Protocol);
        if (info.TlsProtocol is not null)
        {
            text.Append(" (").Append(info.TlsProtocol).Append(')');
        }
        text.Append(" id ").Append(info.QueueId);
        // Name the recipient only when there is one, so a message does not disclose its other recipients.
        if (info.Recipient is not null)
        {
            text.Append("\r\n\tfor <").Append(Sanitize(info.Recipient)).Append('>');
        }
        text.Append(";\r\n\t").Append(FormatDate(info.Timestamp)).Append("\r\n");
        Encoding.UTF8.GetBytes(text.ToString(), output);
    }

    /// <summary>RFC 5322 3.3 date-time, e.g. <c>Mon, 23 Nov 2026 00:36:14 +0000</c>.</summary>
    public static string FormatDate(DateTimeOffset timestamp)
    {
        var offset = timestamp.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        return timestamp.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture)
            + sign + Math.Abs(offset.Hours).ToString("00", CultureInfo.InvariantCulture)
            + Math.Abs(offset.Minutes).ToString("00", CultureInfo.InvariantCulture);
    }

    // Client-chosen text goes into a structured header: keep it printable and free of comment delimiters.
    private static string Sanitize(string value)
    {
        var chars = value.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] is < (char)33 or '(' or ')' or ';' or '\\' || char.IsControl(chars[i]))
            {
                chars[i] = '?';
            }
        }
        return new string(chars);
    }
}
