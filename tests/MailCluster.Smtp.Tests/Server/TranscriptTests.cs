using System.Globalization;
using System.Text;
using SessionHarness = MailCluster.Testing.Smtp.SmtpSessionHarness<MailCluster.Smtp.Tests.Server.RecordingSessionHost>;

namespace MailCluster.Smtp.Tests.Server;

/// <summary>
/// Runs each Transcripts/*.txt against a server session. Lines: <c>C: text</c> sends text+CRLF;
/// <c>R: text</c> sends text raw with escapes \r \n \0 \t \xHH and no CRLF added; <c>S: text</c>
/// expects one reply line (a trailing * matches any rest); <c>S: &lt;closed&gt;</c> expects the
/// server to close; <c>#</c> starts a comment. Client lines before an S line go out as one write.
/// </summary>
public sealed class TranscriptTests
{
    public static TheoryData<string> Transcripts()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Transcripts"), "*.txt").Order())
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public async Task TranscriptPlaysAsWritten(string name)
    {
        var lines = await File.ReadAllLinesAsync(Path.Combine(AppContext.BaseDirectory, "Transcripts", name + ".txt"));
        await using var harness = new SessionHarness(new RecordingSessionHost());
        var pending = new List<byte>();
        for (var number = 1; number <= lines.Length; number++)
        {
            var line = lines[number - 1];
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var kind = line[..2];
            var text = line.Length > 3 ? line[3..] : string.Empty;
            switch (kind)
            {
                case "C:":
                    pending.AddRange(Encoding.UTF8.GetBytes(text + "\r\n"));
                    break;
                case "R:":
                    pending.AddRange(Unescape(text));
                    break;
                case "S:":
                    if (pending.Count > 0)
                    {
                        await harness.SendAsync(pending.ToArray());
                        pending.Clear();
                    }
                    var actual = await harness.ReadLineAsync();
                    Assert.True(Matches(text, actual), $"{name}.txt line {number}: expected '{text}', got '{actual ?? "<closed>"}'");
                    break;
                default:
                    Assert.Fail($"{name}.txt line {number}: unknown line kind '{kind}'");
                    break;
            }
        }
    }

    private static bool Matches(string expected, string? actual) =>
        expected == "<closed>" ? actual is null
        : actual is not null && (expected.EndsWith('*') ? actual.StartsWith(expected[..^1], StringComparison.Ordinal) : actual == expected);

    private static byte[] Unescape(string text)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 == text.Length)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
                continue;
            }
            var c = text[++i];
            switch (c)
            {
                case 'r': bytes.Add((byte)'\r'); break;
                case 'n': bytes.Add((byte)'\n'); break;
                case '0': bytes.Add(0); break;
                case 't': bytes.Add((byte)'\t'); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case 'x':
                    bytes.Add(byte.Parse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 2;
                    break;
                default: throw new FormatException($"Unknown escape \\{c}");
            }
        }
        return [.. bytes];
    }
}
