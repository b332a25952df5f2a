using MailCluster.Dns.Wire;

namespace MailCluster.Dns;

/// <summary>
/// The outcome of one lookup. <see cref="Records"/> holds the records of the asked type at the end
/// of any CNAME chain. <see cref="Ttl"/> is how long the outcome may be cached (null: not at all).
/// <see cref="Detail"/> is a human sentence for logs and DSNs.
/// </summary>
internal sealed record DnsLookupResult(DnsLookupStatus Status, IReadOnlyList<DnsRecord> Records, TimeSpan? Ttl, string Detail)
{
    /// <summary>True when asking again later may give a different answer (RFC 2308 7).</summary>
    public bool IsTemporaryFailure => Status is DnsLookupStatus.ServerFailure or DnsLookupStatus.Refused
        or DnsLookupStatus.Timeout or DnsLookupStatus.CnameError;

    internal static DnsLookupResult Failure(DnsLookupStatus status, string detail) => new(status, [], null, detail);
}
