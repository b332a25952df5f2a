using System.Net;

namespace MailCluster.Dns.Wire;

/// <summary>
/// RFC 1035 3.4.1:
/// <code>
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                    ADDRESS                    |
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// ADDRESS is a 32 bit Internet address.
/// </summary>
internal sealed record ARecord(string Name, uint Ttl, IPAddress Address) : DnsRecord(Name, DnsRecordType.A, Ttl)
{
    internal static ARecord Read(ref DnsMessageReader reader, string name, uint ttl, int length) =>
        new(name, ttl, new IPAddress(reader.ReadExactRdata(length, 4)));
}
