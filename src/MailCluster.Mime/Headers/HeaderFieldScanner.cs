using System.Buffers;
using MailCluster.Smtp.Server;

namespace MailCluster.Mime.Headers;

/// <summary>
/// One field of a message's header section: its octets, from its line's start through the CRLF
/// that ends its last continuation line (<see cref="End"/> exclusive), and its value unfolded (RFC
/// 5322 2.2.3) and trimmed of white space.
/// </summary>
public readonly record struct HeaderFieldOccurrence(long Start, long End, string Value);

/// <summary>
/// Finds every field of one name in a message's header section (RFC 5322 2.1: it ends at the first
/// empty line; the whole message when there is none), in one pass over the header octets and in
/// bounded memory: a fixed buffer, and a list only once a field is found. Names compare without
/// regard to ASCII case; white space may stand before the colon (RFC 5322 4.5.3, obsolete syntax).
/// Lines end with CRLF only: a bare CR or LF is an octet of its line (SMTP refuses both in DATA,
/// RFC 5321 2.3.8).
/// </summary>
public static class HeaderFieldScanner
{
    /// <summary>
    /// Octets of a value kept (RFC 5322 2.1.1's line limit); a longer value is cut there, so that a
    /// hostile field costs no more memory than that.
    /// </summary>
    public const int MaxValueLength = 998;

    private const int BufferSize = 4096;

    /// <summary>The fields named <paramref name="name"/> in the content, read in memory or from its file.</summary>
    public static IReadOnlyList<HeaderFieldOccurrence> Find(MessageContent content, ReadOnlySpan<byte> name)
    {
        if (content.InMemory is { } memory)
        {
            return Find(memory, name);
        }
        using var stream = content.OpenRead();
        return Find(stream, name);
    }

    public static IReadOnlyList<HeaderFieldOccurrence> Find(ReadOnlySequence<byte> message, ReadOnlySpan<byte> name)
    {
        Span<byte> value = stackalloc byte[MaxValueLength];
        var scan = new HeaderFieldScan(name, value);
        foreach (var segment in message)
        {
            if (scan.Done)
            {
                break;
            }
            scan.Feed(segment.Span);
        }
        return scan.Finish();
    }

    /// <summary>Reads <paramref name="message"/> (seekable) from its start, up to the end of the header section.</summary>
    public static IReadOnlyList<HeaderFieldOccurrence> Find(Stream message, ReadOnlySpan<byte> name)
    {
        Span<byte> value = stackalloc byte[MaxValueLength];
        Span<byte> buffer = stackalloc byte[BufferSize];
        var scan = new HeaderFieldScan(name, value);
        message.Position = 0;
        int read;
        while (!scan.Done && (read = message.Read(buffer)) > 0)
        {
            scan.Feed(buffer[..read]);
        }
        return scan.Finish();
    }

    /// <summary>RFC 5322 3.6.8: a field name is one or more printable US-ASCII characters other than the colon.</summary>
    public static bool IsFieldName(string? name) => name is { Length: > 0 } && !name.AsSpan().ContainsAnyExceptInRange('!', '~') && !name.Contains(':', StringComparison.Ordinal);
}
