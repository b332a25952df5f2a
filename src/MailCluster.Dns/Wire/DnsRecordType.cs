namespace MailCluster.Dns.Wire;

/// <summary>The record types this resolver reads (RFC 1035 3.2.2, RFC 3596 2.1, RFC 6891 6.1.1).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "PTR is the protocol's own name (RFC 1035 3.2.2).")]
internal enum DnsRecordType : ushort
{
    A = 1,
    Cname = 5,
    Soa = 6,
    Ptr = 12,
    Mx = 15,
    Txt = 16,
    Aaaa = 28,
    Opt = 41,
}
