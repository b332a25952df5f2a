using System.Buffers;
using System.Text;

namespace MailCluster.Smtp.Protocol;

/// <summary>
/// One SMTP reply (RFC 5321 4.2). <see cref="Text"/> may hold several lines separated by '\n';
/// they are sent as a multiline reply. The enhanced code, when present, prefixes every line (RFC 2034 4).
/// </summary>
public readonly record struct SmtpReply(int Code, EnhancedStatusCode? Enhanced, string Text)
{
    public bool IsPositive => Code is >= 200 and < 400;

    public bool IsTransient => Code is >= 400 and < 500;

    public bool IsPermanent => Code >= 500;

    public SmtpReply WithText(string text) => this with { Text = text };

    public override string ToString() => Enhanced is { } e ? $"{Code} {e} {Text}" : $"{Code} {Text}";

    public void WriteTo(IBufferWriter<byte> output)
    {
        var text = Text.AsSpan();
        while (true)
        {
            var newline = text.IndexOf('\n');
            var line = newline < 0 ? text : text[..newline];
            WriteLine(output, line, last: newline < 0);
            if (newline < 0)
            {
                return;
            }
            text = text[(newline + 1)..];
        }
    }

    private void WriteLine(IBufferWriter<byte> output, ReadOnlySpan<char> line, bool last)
    {
        // code(3) + separator(1) + enhanced(at most 9) + space(1) + text + CRLF(2)
        var span = output.GetSpan(16 + Encoding.UTF8.GetMaxByteCount(line.Length));
        var written = 0;
        Code.TryFormat(span, out var n);
        written += n;
        span[written++] = last ? (byte)' ' : (byte)'-';
        if (Enhanced is { } e)
        {
            written += e.FormatUtf8(span[written..]);
            span[written++] = (byte)' ';
        }
        written += Encoding.UTF8.GetBytes(line, span[written..]);
        span[written++] = (byte)'\r';
        span[written++] = (byte)'\n';
        output.Advance(written);
    }
}
