using System.Collections.Concurrent;
using MailCluster.Dns.Mx;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Caching;

/// <summary>
/// Answers from <see cref="DnsCache"/> when it can, and runs concurrent lookups of the same question
/// as one query whose outcome every waiter shares.
/// </summary>
internal sealed class CachingDnsResolver(IDnsResolver inner, DnsCache cache, DnsMetrics metrics) : IDnsResolver
{
    private readonly ConcurrentDictionary<DnsQuestion, Lazy<Task<DnsLookupResult>>> _inFlight = new();

    public ValueTask<DnsLookupResult> LookupAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        if (cache.TryGet(question, out var cached))
        {
            metrics.CacheHit(question.Type);
            return ValueTask.FromResult(cached);
        }

        // Lazy: GetOrAdd may make two entries under a race, but only the stored one ever runs its query.
        var shared = _inFlight.GetOrAdd(question, q => new Lazy<Task<DnsLookupResult>>(() => RunSharedAsync(q))).Value;

        // Each waiter may give up on its own; the shared query still completes and fills the cache.
        return new ValueTask<DnsLookupResult>(shared.WaitAsync(cancellationToken));
    }

    private async Task<DnsLookupResult> RunSharedAsync(DnsQuestion question)
    {
        try
        {
            var result = await inner.LookupAsync(question, CancellationToken.None);
            cache.Store(question, result);
            return result;
        }
        finally
        {
            _inFlight.TryRemove(question, out _);
        }
    }
}
