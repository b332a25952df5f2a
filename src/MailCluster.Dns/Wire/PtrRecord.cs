namespace MailCluster.Dns.Wire;

/// <summary>
/// RFC 1035 3.3.12:
/// <code>
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                   PTRDNAME                    /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// PTRDNAME is a domain name which points to some location in the domain name space.
/// </summary>
internal sealed record PtrRecord(string Name, uint Ttl, string Target) : DnsRecord(Name, DnsRecordType.Ptr, Ttl)
{
    internal static PtrRecord Read(ref DnsMessageReader reader, string name, uint ttl) =>
        new(name, ttl, reader.ReadName());
}
