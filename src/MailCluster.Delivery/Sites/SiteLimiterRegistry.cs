using System.Collections.Concurrent;
using MailCluster.Cluster.Sites;
using MailCluster.Cluster;
using MailCluster.Delivery.Outcomes;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Sites;

/// <summary>
/// This silo's limiter per site: every actor whose domain maps to one site (a domain alone, or an
/// <c>mx:</c> suffix) shares it. A limiter no domain uses and no connection holds is let go.
/// </summary>
internal sealed class SiteLimiterRegistry(ISiteAuthority authority, TimeProvider time, DeliveryMetrics metrics, ILoggerFactory loggers, ClusterTimings timings) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SiteLimiter> _sites = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();
    private readonly ILogger _logger = loggers.CreateLogger("MailCluster.Delivery.Sites");

    public ISiteAuthority Authority => authority;

    /// <summary>The site's limiter, made by the first domain to join it (with <paramref name="warmUp"/>, a warming source's schedule there).</summary>
    public SiteLimiter Join(string site, string domain, string? primaryMx, Action wake, SiteWarmUp? warmUp = null)
    {
        lock (_lock)
        {
            var limiter = _sites.GetOrAdd(site, s => new SiteLimiter(s, authority, time, metrics, _logger, timings, warmUp));
            limiter.Register(domain, primaryMx, wake);
            return limiter;
        }
    }

    public void Leave(SiteLimiter limiter, string domain)
    {
        lock (_lock)
        {
            limiter.Unregister(domain);
            if (limiter.IsIdle && _sites.TryRemove(KeyValuePair.Create(limiter.Site, limiter)))
            {
                limiter.Dispose();
            }
        }
    }

    /// <summary>Waits for exchanges in flight, then stops every limiter's renewals.</summary>
    public async ValueTask DisposeAsync()
    {
        var limiters = _sites.Values.ToList();
        await Task.WhenAll(limiters.Select(l => l.Exchanging)).ContinueWith(_ => { }, TaskScheduler.Default);
        limiters.ForEach(l => l.Dispose());
    }
}
