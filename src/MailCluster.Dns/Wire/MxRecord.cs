namespace MailCluster.Dns.Wire;

/// <summary>
/// RFC 1035 3.3.9:
/// <code>
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                  PREFERENCE                   |
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                   EXCHANGE                    /
/// /                                               /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// Lower PREFERENCE values are preferred. An EXCHANGE of "" (the root) with preference 0 is a
/// null MX (RFC 7505 3).
/// </summary>
internal sealed record MxRecord(string Name, uint Ttl, ushort Preference, string Exchange) : DnsRecord(Name, DnsRecordType.Mx, Ttl)
{
    internal static MxRecord Read(ref DnsMessageReader reader, string name, uint ttl) =>
        new(name, ttl, reader.ReadUInt16(), reader.ReadName());
}
