using System.Collections.Concurrent;
using MailCluster.Delivery.Outcomes;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.MtaSts;

/// <summary>
/// The MTA-STS policy that applies to a domain now (RFC 8461 5.1). The TXT record is read on every
/// call (our DNS cache answers it); the policy is fetched only when its id differs from the cached
/// one's or nothing valid is cached, and is kept for its max_age. A missing record or a failed
/// fetch leaves a cached policy in force until it expires. Fetches of one domain are coalesced,
/// and a domain whose fetch failed is not asked again for <see cref="MtaStsOptions.RefetchAfterFailure"/>.
/// </summary>
internal sealed class MtaStsPolicies
{
    private readonly IMtaStsSource _source;
    private readonly MtaStsOptions _options;
    private readonly DeliveryMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, CachedPolicy> _cache = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _failedAt = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Lazy<Task<CachedPolicy?>>> _fetching = new(StringComparer.OrdinalIgnoreCase);

    public MtaStsPolicies(IMtaStsSource source, MtaStsOptions options, DeliveryMetrics metrics, TimeProvider time, ILogger logger)
    {
        _source = source;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    internal int CachedPolicies => _cache.Count;

    internal int FailedDomains => _failedAt.Count;

    /// <summary>The enforce or testing policy of <paramref name="domain"/>, or null when none applies.</summary>
    public async Task<MtaStsPolicy?> ForDomainAsync(string domain, CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return null;
        }
        var cached = Unexpired(domain);
        var record = await _source.LookupRecordAsync(domain, cancellationToken);
        var id = MtaStsRecord.IdFrom(record.Texts);
        if (id is not null && id != cached?.Id && !RecentlyFailed(domain))
        {
            var lazy = _fetching.GetOrAdd(domain, d => new Lazy<Task<CachedPolicy?>>(() => FetchAsync(d, id)));
            try
            {
                cached = await lazy.Value.WaitAsync(cancellationToken) ?? cached;
            }
            finally
            {
                _fetching.TryRemove(new KeyValuePair<string, Lazy<Task<CachedPolicy?>>>(domain, lazy));
            }
        }
        return cached?.Policy is { Mode: not MtaStsMode.None } policy ? policy : null;
    }

    private CachedPolicy? Unexpired(string domain)
    {
        if (!_cache.TryGetValue(domain, out var cached))
        {
            return null;
        }
        if (cached.ExpiresAt > _time.GetUtcNow())
        {
            return cached;
        }
        _cache.TryRemove(new KeyValuePair<string, CachedPolicy>(domain, cached));
        return null;
    }

    private bool RecentlyFailed(string domain) =>
        _failedAt.TryGetValue(domain, out var at) && _time.GetUtcNow() - at < _options.RefetchAfterFailure;

    /// <summary>Fetches and caches a policy; null when it could not (logged and counted). Shared by concurrent callers, so never cancelled by one.</summary>
    private async Task<CachedPolicy?> FetchAsync(string domain, string id)
    {
        string? error;
        try
        {
            var policy = MtaStsPolicy.Parse(await _source.FetchPolicyAsync(domain, CancellationToken.None), out error);
            if (policy is not null)
            {
                var cached = new CachedPolicy(id, policy, _time.GetUtcNow() + policy.MaxAge);
                MakeRoom(_cache, domain, c => c.ExpiresAt);
                _cache[domain] = cached;
                _failedAt.TryRemove(domain, out _);
                _metrics.MtaStsFetch(domain, "fetched");
                Log.MtaStsPolicyFetched(_logger, domain, id, policy.Mode, policy.MaxAge);
                return cached;
            }
        }
        catch (MtaStsFetchException e)
        {
            error = e.Message;
        }
        MakeRoom(_failedAt, domain, at => at + _options.RefetchAfterFailure);
        _failedAt[domain] = _time.GetUtcNow();
        _metrics.MtaStsFetch(domain, "failed");
        Log.MtaStsFetchFailed(_logger, domain, id, error);
        return null;
    }

    /// <summary>
    /// Keeps <paramref name="map"/> under <see cref="MtaStsOptions.MaxCachedPolicies"/> before
    /// <paramref name="domain"/> goes in: what has lapsed goes first, then what lapses soonest.
    /// </summary>
    private void MakeRoom<T>(ConcurrentDictionary<string, T> map, string domain, Func<T, DateTimeOffset> lapsesAt)
    {
        if (map.Count < _options.MaxCachedPolicies || map.ContainsKey(domain))
        {
            return;
        }
        var now = _time.GetUtcNow();
        foreach (var lapsed in map.Where(e => lapsesAt(e.Value) <= now))
        {
            map.TryRemove(lapsed);
        }
        var excess = map.Count - _options.MaxCachedPolicies + 1;
        foreach (var soonest in map.OrderBy(e => lapsesAt(e.Value)).Take(Math.Max(excess, 0)).ToList())
        {
            map.TryRemove(soonest);
        }
    }

    private sealed record CachedPolicy(string Id, MtaStsPolicy Policy, DateTimeOffset ExpiresAt);
}
