namespace MailCluster.Smtp.Protocol;

/// <summary>An RFC 3463 enhanced status code, <c>class.subject.detail</c>, as sent with RFC 2034.</summary>
public readonly record struct EnhancedStatusCode(int Class, int Subject, int Detail)
{
    public override string ToString() => $"{Class}.{Subject}.{Detail}";

    /// <summary>The same condition reported as temporary (RFC 3463 3.1: class 4 is persistent transient failure).</summary>
    public EnhancedStatusCode AsTransient() => this with { Class = 4 };

    /// <summary>Writes <c>x.y.z</c> as ASCII; returns the byte count (at most 9).</summary>
    public int FormatUtf8(Span<byte> destination)
    {
        Class.TryFormat(destination, out var written);
        destination[written++] = (byte)'.';
        Subject.TryFormat(destination[written..], out var n);
        written += n;
        destination[written++] = (byte)'.';
        Detail.TryFormat(destination[written..], out n);
        return written + n;
    }

    /// <summary>Parses <c>x.y.z</c> where class is 2, 4 or 5 and subject/detail are 1-3 digits (RFC 3463 2).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out EnhancedStatusCode code)
    {
        code = default;
        Span<Range> parts = stackalloc Range[4];
        if (text.Split(parts, '.') != 3)
        {
            return false;
        }
        if (!TryParsePart(text[parts[0]], 1, out var cls) || cls is not (2 or 4 or 5)
            || !TryParsePart(text[parts[1]], 3, out var subject)
            || !TryParsePart(text[parts[2]], 3, out var detail))
        {
            return false;
        }
        code = new EnhancedStatusCode(cls, subject, detail);
        return true;
    }

    private static bool TryParsePart(ReadOnlySpan<char> part, int maxDigits, out int value)
    {
        value = 0;
        if (part.IsEmpty || part.Length > maxDigits)
        {
            return false;
        }
        foreach (var c in part)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = (value * 10) + (c - '0');
        }
        return true;
    }
}
