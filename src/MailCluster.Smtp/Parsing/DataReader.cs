using System.Buffers;

namespace MailCluster.Smtp.Parsing;

/// <summary>What was wrong with DATA content; the message is refused with the matching reply once it ends.</summary>
[Flags]
internal enum DataDefects
{
    None = 0,
    BareLineEnding = 1,
    LineTooLong = 2,
    TooLarge = 4,
    Nul = 8,
}

/// <summary>
/// Streams DATA content (RFC 5321 4.1.1.4) into a body writer: removes dot-stuffing, finds the
/// end of data, and records defects as it goes without buffering the message itself.
/// Only CRLF "." CRLF ends the message; a bare CR or LF never does (CVE-2023-51764 class), and
/// once a defect is seen the rest is scanned for the real end but not stored.
/// </summary>
internal sealed class DataReader
{
    private enum State
    {
        LineStart,
        InLine,
        AfterCr,
        AfterLeadingDot,
        AfterLeadingDotCr,
    }

    private static readonly SearchValues<byte> s_specials = SearchValues.Create("\r\n\0"u8);

    private readonly int _maxLineLength;
    private readonly long _maxMessageSize;
    private State _state;
    private int _lineLength;

    public DataReader(int maxLineLength, long maxMessageSize)
    {
        _maxLineLength = maxLineLength;
        _maxMessageSize = maxMessageSize;
    }

    public DataDefects Defects { get; private set; }

    /// <summary>Octets of content after unstuffing (stored or not).</summary>
    public long Size { get; private set; }

    /// <summary>Prepares for a new message; <paramref name="initialSize"/> counts octets already in the body (trace headers).</summary>
    public void Reset(long initialSize)
    {
        _state = State.LineStart;
        _lineLength = 0;
        Defects = DataDefects.None;
        Size = initialSize;
    }

    /// <summary>Consumes content from <paramref name="buffer"/>; true when the terminating "." line was read.</summary>
    public bool Read(ref ReadOnlySequence<byte> buffer, IBufferWriter<byte> body)
    {
        var consumed = 0L;
        foreach (var memory in buffer)
        {
            var done = ReadSpan(memory.Span, body, out var used);
            consumed += used;
            if (done)
            {
                buffer = buffer.Slice(consumed);
                return true;
            }
        }
        buffer = buffer.Slice(buffer.End);
        return false;
    }

    private bool ReadSpan(ReadOnlySpan<byte> span, IBufferWriter<byte> body, out int used)
    {
        var i = 0;
        while (i < span.Length)
        {
            var b = span[i];
            switch (_state)
            {
                case State.LineStart when b == (byte)'.':
                    // RFC 5321 4.5.2: a leading dot is either the end marker or a stuffed dot to drop.
                    _state = State.AfterLeadingDot;
                    i++;
                    continue;
                case State.AfterLeadingDot when b == (byte)'\r':
                    _state = State.AfterLeadingDotCr;
                    i++;
                    continue;
                case State.AfterLeadingDotCr when b == (byte)'\n':
                    used = i + 1;
                    return true;
                case State.AfterLeadingDotCr:
                    // "." CR not followed by LF: the dot was stuffing and the CR is bare.
                    Defects |= DataDefects.BareLineEnding;
                    _state = State.InLine;
                    continue;
                case State.AfterCr when b == (byte)'\n':
                    Append(body, "\r\n"u8);
                    CheckLineLength(2);
                    _lineLength = 0;
                    _state = State.LineStart;
                    i++;
                    continue;
                case State.AfterCr:
                    Defects |= DataDefects.BareLineEnding;
                    _state = State.InLine;
                    continue;
            }

            // LineStart (no dot), AfterLeadingDot (stuffed dot dropped) or InLine: copy up to the next special octet.
            _state = State.InLine;
            var rest = span[i..];
            var special = rest.IndexOfAny(s_specials);
            var text = special < 0 ? rest : rest[..special];
            Append(body, text);
            _lineLength += text.Length;
            i += text.Length;
            if (special < 0)
            {
                break;
            }
            switch (span[i++])
            {
                case (byte)'\r':
                    _state = State.AfterCr;
                    break;
                case (byte)'\n':
                    Defects |= DataDefects.BareLineEnding;
                    break;
                default:
                    Defects |= DataDefects.Nul;
                    break;
            }
        }
        CheckLineLength(0);
        used = span.Length;
        return false;
    }

    // RFC 5321 4.5.3.1.6: a text line is at most 1000 octets including CRLF.
    private void CheckLineLength(int terminator)
    {
        if (_lineLength + terminator > _maxLineLength)
        {
            Defects |= DataDefects.LineTooLong;
        }
    }

    private void Append(IBufferWriter<byte> body, ReadOnlySpan<byte> octets)
    {
        Size += octets.Length;
        if (Size > _maxMessageSize)
        {
            Defects |= DataDefects.TooLarge;
        }
        if (Defects == DataDefects.None && !octets.IsEmpty)
        {
            body.Write(octets);
        }
    }
}
