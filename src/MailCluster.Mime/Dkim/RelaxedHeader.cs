namespace MailCluster.Mime.Dkim;

/// <summary>RFC 6376 3.4.2: the "relaxed" canonical form of one header field.</summary>
internal static class RelaxedHeader
{
    /// <summary>The most octets <see cref="Write"/> writes for a field of <paramref name="fieldLength"/> octets.</summary>
    public static int MaxLength(int fieldLength) => fieldLength + 2;

    /// <summary>
    /// Writes <paramref name="field"/> (name, colon, value with its folding, no final CRLF) in
    /// canonical form: the name in lower case, the value unfolded, each run of white space one SP,
    /// none around the colon or at the end; then a CRLF when <paramref name="lineEnd"/>.
    /// Returns the octets written.
    /// </summary>
    public static int Write(ReadOnlySpan<byte> field, Span<byte> destination, bool lineEnd)
    {
        var colon = field.IndexOf((byte)':');
        var name = field[..colon].TrimEnd(" \t"u8);
        var written = 0;
        foreach (var b in name)
        {
            destination[written++] = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
        }
        destination[written++] = (byte)':';
        var value = field[(colon + 1)..];
        var space = false;
        var content = false;
        for (var i = 0; i < value.Length; i++)
        {
            var b = value[i];
            if (b == (byte)'\r' && i + 1 < value.Length && value[i + 1] == (byte)'\n')
            {
                // Unfolding: the CRLF goes, the white space after it is a run like any other.
                i++;
                continue;
            }
            if (b is (byte)' ' or (byte)'\t')
            {
                // White space after the colon is dropped; inside the value it becomes one SP, if content follows.
                space = content;
                continue;
            }
            if (space)
            {
                destination[written++] = (byte)' ';
                space = false;
            }
            destination[written++] = b;
            content = true;
        }
        if (lineEnd)
        {
            destination[written++] = (byte)'\r';
            destination[written++] = (byte)'\n';
        }
        return written;
    }
}
