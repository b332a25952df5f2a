using System.Text;

namespace MailCluster.Dns.Wire;

/// <summary>
/// RFC 1035 3.3.14:
/// <code>
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                   TXT-DATA                    /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// TXT-DATA is one or more character-strings, each a length octet followed by that many octets.
/// </summary>
internal sealed record TxtRecord(string Name, uint Ttl, IReadOnlyList<string> Strings) : DnsRecord(Name, DnsRecordType.Txt, Ttl)
{
    /// <summary>The strings joined without separators, as SPF (RFC 7208 3.3) and DKIM read them.</summary>
    public string Text => string.Concat(Strings);

    internal static TxtRecord Read(ref DnsMessageReader reader, string name, uint ttl, int length)
    {
        var end = reader.Position + length;
        var strings = new List<string>();
        while (reader.Position < end)
        {
            var stringLength = reader.ReadByte();
            if (reader.Position + stringLength > end)
            {
                throw new DnsFormatException($"TXT string of {stringLength} octets runs past its RDATA");
            }

            strings.Add(Encoding.UTF8.GetString(reader.ReadBytes(stringLength)));
        }

        return new TxtRecord(name, ttl, strings);
    }
}
