using System.Buffers;
using System.Text;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Testing.Smtp;

/// <summary>A reply as a peer sends it (lines ending in CRLF), read by the client's own parser.</summary>
public static class RawReply
{
    public static SmtpReply Parse(string text)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text.EndsWith("\r\n", StringComparison.Ordinal) ? text : text + "\r\n"));
        return new ReplyParser(new SmtpClientOptions()).TryParse(ref buffer, out var reply) && buffer.IsEmpty
            ? reply
            : throw new ArgumentException($"not one whole reply: {text}", nameof(text));
    }
}
