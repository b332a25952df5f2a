using System.Buffers;

namespace MailCluster.Smtp.Parsing;

/// <summary>The outcome of reading one command line.</summary>
internal enum LineRead
{
    /// <summary>No line terminator yet, and the buffer is still within the limit: read more.</summary>
    Incomplete,

    /// <summary>A CRLF-terminated line.</summary>
    Line,

    /// <summary>No LF within the limit; the limit's worth of octets was consumed. Discard through the next LF.</summary>
    TooLong,

    /// <summary>A line ended by LF without CR (RFC 5321 2.3.8 forbids it).</summary>
    BareLineFeed,
}

/// <summary>
/// Bounded command-line reader: it never buffers past <c>maxLength</c> octets (including CRLF),
/// so a client cannot make a session hold an unbounded line.
/// </summary>
internal static class SmtpLineReader
{
    public static LineRead TryReadLine(ref ReadOnlySequence<byte> buffer, int maxLength, out ReadOnlySequence<byte> line)
    {
        line = default;
        var window = buffer.Length > maxLength ? buffer.Slice(0, maxLength) : buffer;
        var lf = window.PositionOf((byte)'\n');
        if (lf is null)
        {
            if (buffer.Length < maxLength)
            {
                return LineRead.Incomplete;
            }
            buffer = buffer.Slice(maxLength);
            return LineRead.TooLong;
        }
        var withoutLf = buffer.Slice(0, lf.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
        if (withoutLf.IsEmpty || LastByte(withoutLf) != (byte)'\r')
        {
            line = withoutLf;
            return LineRead.BareLineFeed;
        }
        line = withoutLf.Slice(0, withoutLf.Length - 1);
        return LineRead.Line;
    }

    /// <summary>Drops octets through the next LF; true when the LF was found (the long line is over).</summary>
    public static bool SkipPastLineFeed(ref ReadOnlySequence<byte> buffer)
    {
        var lf = buffer.PositionOf((byte)'\n');
        buffer = lf is null ? buffer.Slice(buffer.End) : buffer.Slice(buffer.GetPosition(1, lf.Value));
        return lf is not null;
    }

    private static byte LastByte(ReadOnlySequence<byte> sequence) =>
        sequence.IsSingleSegment ? sequence.FirstSpan[^1] : sequence.Slice(sequence.Length - 1).FirstSpan[0];
}
