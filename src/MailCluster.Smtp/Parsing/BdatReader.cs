using System.Buffers;
using System.Globalization;

namespace MailCluster.Smtp.Parsing;

/// <summary>
/// BDAT chunks (RFC 3030 2): <c>BDAT chunk-size [LAST]</c>, then exactly chunk-size octets of
/// content, taken as they are (no dot-stuffing, no end marker). A refused chunk is still read
/// to its end, so the octets never turn into commands.
/// </summary>
internal sealed class BdatReader
{
    /// <summary>18 digits always fit in a long; RFC 3030 puts no bound on chunk-size.</summary>
    private const int MaxSizeDigits = 18;

    private long _remaining;

    /// <summary>The chunk being read is the message's last.</summary>
    public bool IsLast { get; private set; }

    public static bool TryParse(string argument, out long size, out bool last)
    {
        (size, last) = (0, false);
        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is 0 or > 2 || parts[0].Length > MaxSizeDigits || !parts[0].All(char.IsAsciiDigit)
            || (parts.Length == 2 && !parts[1].Equals("LAST", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }
        (size, last) = (long.Parse(parts[0], CultureInfo.InvariantCulture), parts.Length == 2);
        return true;
    }

    public void Start(long size, bool last) => (_remaining, IsLast) = (size, last);

    /// <summary>
    /// Takes the chunk's octets from <paramref name="buffer"/> into <paramref name="body"/>, or
    /// drops them when it is null; true when the whole chunk has been read.
    /// </summary>
    public bool Read(ref ReadOnlySequence<byte> buffer, IBufferWriter<byte>? body)
    {
        var take = Math.Min(_remaining, buffer.Length);
        if (body is not null)
        {
            foreach (var segment in buffer.Slice(0, take))
            {
                body.Write(segment.Span);
            }
        }
        buffer = buffer.Slice(take);
        _remaining -= take;
        return _remaining == 0;
    }
}
