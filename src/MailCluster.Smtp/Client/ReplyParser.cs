using System.Buffers;
using System.Text;
using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Client;

/// <summary>
/// Parses one SMTP reply (RFC 5321 4.2) line by line as bytes arrive. Complete lines are consumed
/// from the buffer as they are read, so a peer trickling bytes costs at most one line of rescanning,
/// and every bound (line length, line count, total octets) is checked before anything is kept.
/// A reply that breaks a bound or the grammar throws <see cref="SmtpProtocolException"/>.
/// </summary>
internal sealed class ReplyParser
{
    private readonly SmtpClientOptions _options;
    private readonly List<string> _lines = [];
    private int _code;
    private long _octets;

    public ReplyParser(SmtpClientOptions options)
    {
        _options = options;
    }

    /// <summary>Consumes whole lines from <paramref name="buffer"/>; true when the reply's last line was read.</summary>
    public bool TryParse(ref ReadOnlySequence<byte> buffer, out SmtpReply reply)
    {
        reply = default;
        while (true)
        {
            var before = buffer.Length;
            var read = SmtpLineReader.TryReadLine(ref buffer, _options.MaxReplyLineLength, out var line);
            if (read == LineRead.Incomplete)
            {
                return false;
            }
            if (read == LineRead.TooLong)
            {
                // RFC 5321 4.5.3.1.5: a reply line is at most 512 octets including the code and CRLF.
                throw Violation($"reply line longer than {_options.MaxReplyLineLength} octets");
            }
            // A bare LF (LineRead.BareLineFeed) is tolerated: on the client side it cannot change where a message ends.
            _octets += before - buffer.Length;
            if (_octets > _options.MaxReplyBytes || _lines.Count >= _options.MaxReplyLines)
            {
                throw Violation($"reply longer than {_options.MaxReplyLines} lines or {_options.MaxReplyBytes} octets");
            }
            if (ReadLine(line.ToArray()))
            {
                reply = Build();
                return true;
            }
        }
    }

    /// <summary>Reads <c>Reply-code [("-" / SP) textstring]</c>; true for the last line (RFC 5321 4.2.1).</summary>
    private bool ReadLine(ReadOnlySpan<byte> line)
    {
        // RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39
        if (line.Length < 3 || line[0] is < (byte)'2' or > (byte)'5' || line[1] is < (byte)'0' or > (byte)'5'
            || line[2] is < (byte)'0' or > (byte)'9')
        {
            throw Violation("reply line does not start with a three-digit reply code");
        }
        var code = ((line[0] - '0') * 100) + ((line[1] - '0') * 10) + (line[2] - '0');
        // RFC 5321 4.2.1: every line of a multiline reply carries the same code.
        if (_lines.Count > 0 && code != _code)
        {
            throw Violation($"multiline reply mixes codes {_code} and {code}");
        }
        _code = code;
        if (line.Length == 3)
        {
            _lines.Add(string.Empty);
            return true;
        }
        if (line[3] is not ((byte)' ' or (byte)'-'))
        {
            throw Violation("reply code is not followed by a space or a hyphen");
        }
        _lines.Add(Encoding.UTF8.GetString(line[4..]));
        return line[3] == (byte)' ';
    }

    /// <summary>Takes the RFC 2034 enhanced code from the first line and strips it from every line that repeats it.</summary>
    private SmtpReply Build()
    {
        EnhancedStatusCode? enhanced = null;
        var first = _lines[0];
        var space = first.IndexOf(' ');
        var token = space < 0 ? first : first[..space];
        // RFC 2034 4: the enhanced code's class matches the reply's first digit (2, 4 or 5).
        if (EnhancedStatusCode.TryParse(token, out var parsed) && parsed.Class == _code / 100)
        {
            enhanced = parsed;
            for (var i = 0; i < _lines.Count; i++)
            {
                var line = _lines[i];
                if (line.StartsWith(token, StringComparison.Ordinal) && (line.Length == token.Length || line[token.Length] == ' '))
                {
                    _lines[i] = line.Length == token.Length ? string.Empty : line[(token.Length + 1)..];
                }
            }
        }
        return new SmtpReply(_code, enhanced, string.Join('\n', _lines));
    }

    private static SmtpProtocolException Violation(string what) =>
        new(SmtpProtocolFault.Violation, $"Peer sent a malformed reply: {what}");
}
