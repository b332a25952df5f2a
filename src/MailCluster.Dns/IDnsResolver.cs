using MailCluster.Dns.Wire;

namespace MailCluster.Dns;

/// <summary>
/// Looks up one name and type, following CNAMEs and answering from cache where possible. Failures
/// are values (<see cref="DnsLookupResult.Status"/>); exceptions mean cancellation or a bug.
/// </summary>
internal interface IDnsResolver
{
    ValueTask<DnsLookupResult> LookupAsync(DnsQuestion question, CancellationToken cancellationToken);
}
