using System.Buffers;

namespace MailCluster.Smtp.Client;

/// <summary>
/// Turns stored content into what goes on the wire, streaming: every line ends with CRLF, and for
/// DATA (not BDAT) leading dots are doubled. The server-side counterpart is <c>DataReader</c>,
/// which undoes the stuffing; here the direction is outbound, so instead of refusing bare line
/// endings we repair them.
/// </summary>
internal sealed class ContentNormalizer
{
    private static readonly SearchValues<byte> s_lineEnds = SearchValues.Create("\r\n"u8);

    private readonly bool _dotStuff;
    private bool _atLineStart = true;
    private bool _pendingCr;

    public ContentNormalizer(bool dotStuff)
    {
        _dotStuff = dotStuff;
    }

    public void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        while (!input.IsEmpty)
        {
            if (_pendingCr)
            {
                _pendingCr = false;
                EndLine(output);
                if (input[0] == (byte)'\n')
                {
                    input = input[1..];
                    continue;
                }
                // RFC 5321 2.3.8: a bare CR is not a line ending; we make it one so that no peer can
                // read it differently from us (SMTP smuggling).
            }
            if (_atLineStart && _dotStuff && input[0] == (byte)'.')
            {
                // RFC 5321 4.5.2: a line that starts with a period gets one more.
                output.Write("."u8);
            }
            var end = input.IndexOfAny(s_lineEnds);
            var text = end < 0 ? input : input[..end];
            output.Write(text);
            _atLineStart &= text.IsEmpty;
            if (end < 0)
            {
                return;
            }
            if (input[end] == (byte)'\r')
            {
                _pendingCr = true;
            }
            else
            {
                // RFC 5321 2.3.8: a bare LF becomes CRLF.
                EndLine(output);
            }
            input = input[(end + 1)..];
        }
    }

    /// <summary>Ends the content: a final CRLF if the last line lacked one, then for DATA the "." line (RFC 5321 4.1.1.4).</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        if (_pendingCr || !_atLineStart)
        {
            _pendingCr = false;
            EndLine(output);
        }
        if (_dotStuff)
        {
            output.Write(".\r\n"u8);
        }
    }

    private void EndLine(IBufferWriter<byte> output)
    {
        output.Write("\r\n"u8);
        _atLineStart = true;
    }
}
