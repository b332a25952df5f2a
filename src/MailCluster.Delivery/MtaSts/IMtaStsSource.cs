using MailCluster.Dns.Mx;

namespace MailCluster.Delivery.MtaSts;

/// <summary>Where MTA-STS policies come from: the <c>_mta-sts</c> TXT record and the policy host.</summary>
internal interface IMtaStsSource
{
    /// <summary>The TXT records at <c>_mta-sts.</c><paramref name="domain"/> (RFC 8461 3.1).</summary>
    Task<TextRecords> LookupRecordAsync(string domain, CancellationToken cancellationToken);

    /// <summary>
    /// The policy text from <c>https://mta-sts.domain/.well-known/mta-sts.txt</c> (RFC 8461 3.3).
    /// </summary>
    /// <exception cref="MtaStsFetchException">No policy could be fetched; the message says why.</exception>
    Task<string> FetchPolicyAsync(string domain, CancellationToken cancellationToken);
}

/// <summary>A policy fetch failed: no host, no TLS, not 200, not text/plain, too large, too slow.</summary>
internal sealed class MtaStsFetchException(string message, Exception? inner = null) : Exception(message, inner);
