using System.Buffers;
using System.Text;

namespace MailCluster.Mime.Dkim;

/// <summary>
/// A message's header section as the octets it arrived with, cut into fields (RFC 5322 2.2: a field
/// starts at a line that does not begin with white space; folded lines belong to it), and its
/// body's relaxed hash: what a DKIM signer reads, in one pass over the message.
/// </summary>
internal sealed class RawHeaderFields
{
    private readonly byte[] _section;
    private readonly List<Range> _fields;
    private readonly List<int> _nameLengths;

    private RawHeaderFields(byte[] section, List<Range> fields, List<int> nameLengths, byte[] bodyHash)
    {
        (_section, _fields, _nameLengths, BodyHash) = (section, fields, nameLengths, bodyHash);
    }

    public int Count => _fields.Count;

    /// <summary>The body's SHA-256 in relaxed canonical form (RFC 6376 3.4.4).</summary>
    public byte[] BodyHash { get; }

    /// <summary>Field <paramref name="index"/>: its name, colon, value and folding, without its final CRLF.</summary>
    public ReadOnlySpan<byte> Field(int index) => _section.AsSpan(_fields[index]);

    public bool IsNamed(int index, string name) =>
        Ascii.EqualsIgnoreCase(_section.AsSpan(_fields[index])[.._nameLengths[index]], name);

    /// <summary>
    /// A header section longer than this is not signed: its fields are held in memory to be signed,
    /// and a message without an empty line would otherwise be read whole into it.
    /// </summary>
    public const int MaxSectionBytes = 1024 * 1024;

    /// <summary>
    /// Reads <paramref name="message"/> from its start; null when its header section is not a list
    /// of fields (a line without a colon, or a first line that is a continuation) or is longer
    /// than <see cref="MaxSectionBytes"/>.
    /// </summary>
    public static RawHeaderFields? Read(Stream message)
    {
        message.Position = 0;
        // Only a header section that spans reads is gathered here; the usual one is cut from the first read.
        ArrayBufferWriter<byte>? spanning = null;
        byte[]? section = null;
        using var body = new RelaxedBodyHash();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = message.Read(buffer)) > 0)
            {
                var chunk = buffer.AsSpan(0, read);
                if (section is not null)
                {
                    body.Append(chunk);
                    continue;
                }
                // RFC 5322 2.1: the first empty line ends the header section; it may straddle two reads.
                var searchFrom = Math.Max(0, (spanning?.WrittenCount ?? 0) - 3);
                spanning?.Write(chunk);
                ReadOnlySpan<byte> written = spanning is null ? chunk : spanning.WrittenSpan;
                var bodyStart = BodyStart(written, searchFrom);
                if ((bodyStart < 0 ? written.Length : bodyStart - 2) > MaxSectionBytes)
                {
                    return null;
                }
                if (bodyStart < 0)
                {
                    if (spanning is null)
                    {
                        spanning = new ArrayBufferWriter<byte>();
                        spanning.Write(chunk);
                    }
                    continue;
                }
                section = written[..(bodyStart - 2)].ToArray();
                body.Append(written[bodyStart..]);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        // No empty line: all of it is header, and the body is empty.
        section ??= spanning is null ? [] : spanning.WrittenSpan.ToArray();
        return Split(section, body);
    }

    /// <summary>Where the body starts after the empty line, searching from <paramref name="searchFrom"/>; -1 before it has come.</summary>
    private static int BodyStart(ReadOnlySpan<byte> written, int searchFrom) =>
        written.StartsWith("\r\n"u8) ? 2
        : written[searchFrom..].IndexOf("\r\n\r\n"u8) is var at and >= 0 ? searchFrom + at + 4
        : -1;

    private static RawHeaderFields? Split(byte[] section, RelaxedBodyHash body)
    {
        var fields = new List<Range>();
        var nameLengths = new List<int>();
        var lineStart = 0;
        while (lineStart < section.Length)
        {
            var rest = section.AsSpan(lineStart);
            var lineLength = rest.IndexOf("\r\n"u8) is var crlf and >= 0 ? crlf : rest.Length;
            if (rest[0] is (byte)' ' or (byte)'\t')
            {
                if (fields.Count == 0)
                {
                    return null;
                }
                // A folded line continues the field before it.
                fields[^1] = fields[^1].Start..(lineStart + lineLength);
            }
            else
            {
                var colon = rest[..lineLength].IndexOf((byte)':');
                if (colon <= 0)
                {
                    return null;
                }
                fields.Add(lineStart..(lineStart + lineLength));
                // RFC 5322 4.5.3: the obsolete syntax allows white space before the colon.
                nameLengths.Add(rest[..colon].TrimEnd(" \t"u8).Length);
            }
            lineStart += lineLength + 2;
        }
        return new RawHeaderFields(section, fields, nameLengths, body.Finish());
    }
}
