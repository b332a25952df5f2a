namespace MailCluster.Dns.Wire;

/// <summary>
/// A resource record (RFC 1035 4.1.3). <see cref="Ttl"/> is in seconds; values with the top bit set
/// were already read as 0 (RFC 2181 8).
/// </summary>
internal abstract record DnsRecord(string Name, DnsRecordType Type, uint Ttl);
