namespace MailCluster.Dns.Wire;

/// <summary>Domain names in presentation form: lower case (RFC 4343 2), no trailing dot, root is "".</summary>
internal static class DnsName
{
    // RFC 1035 2.3.4: labels are at most 63 octets and a name at most 255 octets on the wire.
    internal const int MaxLabelLength = 63;
    internal const int MaxNameLength = 255;

    public static string Normalize(string name) => name.TrimEnd('.').ToLowerInvariant();

    /// <summary>Returns why <paramref name="name"/> cannot be sent in a query, or null when it can.</summary>
    public static string? Validate(string name)
    {
        if (name.Length == 0)
        {
            return null;
        }

        if (name.Length + 2 > MaxNameLength)
        {
            return $"'{name}' is longer than {MaxNameLength} octets (RFC 1035 2.3.4)";
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > MaxLabelLength)
            {
                return $"'{name}' has a label of {label.Length} octets; labels hold 1 to {MaxLabelLength} (RFC 1035 2.3.4)";
            }

            // Escaped or non-ASCII names come only from hostile packets; IDNs must arrive as A-labels.
            if (label.Any(c => c is <= ' ' or > '~' or '\\'))
            {
                return $"'{name}' contains characters that are not valid in a host name";
            }
        }

        return null;
    }

    /// <summary>Writes a validated name as uncompressed labels and returns the octets written.</summary>
    public static int Write(Span<byte> destination, string name)
    {
        var written = 0;
        if (name.Length > 0)
        {
            foreach (var label in name.Split('.'))
            {
                destination[written++] = (byte)label.Length;
                foreach (var c in label)
                {
                    destination[written++] = (byte)c;
                }
            }
        }

        destination[written++] = 0;
        return written;
    }
}
