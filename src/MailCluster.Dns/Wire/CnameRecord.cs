namespace MailCluster.Dns.Wire;

/// <summary>
/// RFC 1035 3.3.1:
/// <code>
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                     CNAME                     /
/// /                                               /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// CNAME is a domain name which specifies the canonical or primary name for the owner.
/// </summary>
internal sealed record CnameRecord(string Name, uint Ttl, string Target) : DnsRecord(Name, DnsRecordType.Cname, Ttl)
{
    internal static CnameRecord Read(ref DnsMessageReader reader, string name, uint ttl) =>
        new(name, ttl, reader.ReadName());
}
