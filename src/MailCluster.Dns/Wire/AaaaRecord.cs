using System.Net;

namespace MailCluster.Dns.Wire;

/// <summary>
/// RFC 3596 2.2:
/// <code>
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                    ADDRESS                    |
/// |              (128 bits, 8 rows)               |
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// A 128 bit IPv6 address in network byte order.
/// </summary>
internal sealed record AaaaRecord(string Name, uint Ttl, IPAddress Address) : DnsRecord(Name, DnsRecordType.Aaaa, Ttl)
{
    internal static AaaaRecord Read(ref DnsMessageReader reader, string name, uint ttl, int length) =>
        new(name, ttl, new IPAddress(reader.ReadExactRdata(length, 16)));
}
