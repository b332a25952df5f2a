using System.Buffers;

namespace MailCluster.Mime.Headers;

/// <summary>Splits a message into its header section and body (RFC 5322 2.1).</summary>
internal static class HeaderSection
{
    /// <summary>
    /// The header section ends at the first empty line (CRLF CRLF). Returns the header fields with
    /// the CRLF that ends the last one; <paramref name="body"/> is what follows the empty line.
    /// A message with no empty line is all headers and has an empty body.
    /// </summary>
    public static ReadOnlySequence<byte> Split(ReadOnlySequence<byte> message, out ReadOnlySequence<byte> body)
    {
        var reader = new SequenceReader<byte>(message);
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
        {
            if (line.IsEmpty)
            {
                body = message.Slice(reader.Position);
                return message.Slice(0, reader.Consumed - 2);
            }
        }
        body = ReadOnlySequence<byte>.Empty;
        return message;
    }
}
