namespace MailCluster.Dns.Wire;

/// <summary>
/// RFC 1035 3.3.13:
/// <code>
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                     MNAME                     /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                     RNAME                     /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                    SERIAL                     |
/// |                    REFRESH                    |
/// |                     RETRY                     |
/// |                    EXPIRE                     |
/// |                    MINIMUM                    |
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// Each of the last five is a 32 bit field. In a negative answer the SOA in the authority section
/// bounds how long the absence may be cached: min(TTL, MINIMUM) (RFC 2308 5).
/// </summary>
internal sealed record SoaRecord(string Name, uint Ttl, string PrimaryNameServer, string ResponsibleMailbox, uint Serial, uint Refresh, uint Retry, uint Expire, uint Minimum)
    : DnsRecord(Name, DnsRecordType.Soa, Ttl)
{
    public uint NegativeTtl => Math.Min(Ttl, Minimum);

    internal static SoaRecord Read(ref DnsMessageReader reader, string name, uint ttl) =>
        new(name, ttl, reader.ReadName(), reader.ReadName(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32());
}
