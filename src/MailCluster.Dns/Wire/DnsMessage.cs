namespace MailCluster.Dns.Wire;

/// <summary>A parsed message (RFC 1035 4.1). The additional section is validated but not kept.</summary>
internal sealed record DnsMessage(
    ushort Id,
    bool IsResponse,
    int Opcode,
    bool IsTruncated,
    DnsResponseCode ResponseCode,
    IReadOnlyList<DnsQuestion> Questions,
    IReadOnlyList<DnsRecord> Answers,
    IReadOnlyList<DnsRecord> Authorities)
{
    /// <summary>The SOA of a negative answer (RFC 2308 3), if the server sent one.</summary>
    public SoaRecord? Soa => Authorities.OfType<SoaRecord>().FirstOrDefault();
}
