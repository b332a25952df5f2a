using System.Collections.Concurrent;
using MailCluster.Dns.Mx;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Caching;

/// <summary>Lookup outcomes kept for their clamped TTL, timed by the injected clock.</summary>
internal sealed class DnsCache(DnsOptions options, TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<DnsQuestion, Entry> _entries = new();

    public int Count => _entries.Count;

    public bool TryGet(DnsQuestion question, out DnsLookupResult result)
    {
        if (_entries.TryGetValue(question, out var entry))
        {
            if (entry.ExpiresAt > timeProvider.GetUtcNow())
            {
                result = entry.Result;
                return true;
            }

            _entries.TryRemove(KeyValuePair.Create(question, entry));
        }

        result = null!;
        return false;
    }

    public void Store(DnsQuestion question, DnsLookupResult result)
    {
        if (CacheTime(result) is not { } ttl || ttl <= TimeSpan.Zero)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        if (_entries.Count >= options.MaxCacheEntries && !_entries.ContainsKey(question))
        {
            EvictExpired(now);
            if (_entries.Count >= options.MaxCacheEntries)
            {
                return;
            }
        }

        _entries[question] = new Entry(result, now + ttl);
    }

    // Positive answers live for their TTL clamped to [MinimumTtl, MaximumTtl]; negative ones for the
    // RFC 2308 5 SOA-derived TTL, capped by MaximumNegativeTtl. Failures are never cached.
    private TimeSpan? CacheTime(DnsLookupResult result) => result switch
    {
        { Ttl: { } ttl, Status: DnsLookupStatus.Success } => Clamp(ttl, options.MinimumTtl, options.MaximumTtl),
        { Ttl: { } ttl, Status: DnsLookupStatus.NoData or DnsLookupStatus.NameError } => Clamp(ttl, options.MinimumTtl, options.MaximumNegativeTtl),
        _ => null,
    };

    private static TimeSpan Clamp(TimeSpan value, TimeSpan minimum, TimeSpan maximum) =>
        value < minimum ? minimum : value > maximum ? maximum : value;

    private void EvictExpired(DateTimeOffset now)
    {
        foreach (var (question, entry) in _entries)
        {
            if (entry.ExpiresAt <= now)
            {
                _entries.TryRemove(KeyValuePair.Create(question, entry));
            }
        }
    }

    private sealed record Entry(DnsLookupResult Result, DateTimeOffset ExpiresAt);
}
