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
    private readonly ConcurrentDictionary<DnsQuestion, Task<DnsLookupResult>> _inFlight = new();

    public ValueTask<DnsLookupResult> LookupAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        if (cache.TryGet(question, out var cached))
        {
            metrics.CacheHit(question.Type);
            return ValueTask.FromResult(cached);
        }

        var started = new TaskCompletionSource<DnsLookupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _inFlight.GetOrAdd(question, started.Task);
        if (shared == started.Task)
        {
            _ = RunSharedAsync(question, started);
        }

        // Each waiter may give up on its own; the shared query still completes and fills the cache.
        return new ValueTask<DnsLookupResult>(shared.WaitAsync(cancellationToken));
    }

    private async Task RunSharedAsync(DnsQuestion question, TaskCompletionSource<DnsLookupResult> completion)
    {
        try
        {
            var result = await inner.LookupAsync(question, CancellationToken.None);
            cache.Store(question, result);
            completion.SetResult(result);
        }
        catch (Exception ex)
        {
            completion.SetException(ex);
        }
        finally
        {
            _inFlight.TryRemove(KeyValuePair.Create(question, completion.Task));
        }
    }
}
