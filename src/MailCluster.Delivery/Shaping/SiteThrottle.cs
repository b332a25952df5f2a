using System.Collections.Concurrent;

namespace MailCluster.Delivery.Shaping;

/// <summary>
/// The throttles of one site (a domain, or every domain under one MX-suffix rule): connection
/// slots and token buckets. A slot is a <see cref="ConnectionLease"/> that gives itself back on dispose.
/// </summary>
internal sealed class SiteThrottle
{
    private readonly int _maxConnections;
    private int _connections;

    public SiteThrottle(DomainShaping shaping, TimeProvider time)
    {
        _maxConnections = shaping.MaxConnections;
        Messages = shaping.MessageRate is { } m ? new TokenBucket(m, time) : null;
        NewConnections = shaping.ConnectionRate is { } c ? new TokenBucket(c, time) : null;
    }

    public TokenBucket? Messages { get; }

    public TokenBucket? NewConnections { get; }

    public bool TryAcquireConnection(out ConnectionLease lease)
    {
        lease = default;
        if (Interlocked.Increment(ref _connections) > _maxConnections)
        {
            Interlocked.Decrement(ref _connections);
            return false;
        }
        lease = new ConnectionLease(this);
        return true;
    }

    private void Release() => Interlocked.Decrement(ref _connections);

    /// <summary>One connection slot; disposing it returns the slot.</summary>
    public readonly struct ConnectionLease(SiteThrottle? owner) : IDisposable
    {
        public void Dispose() => owner?.Release();
    }
}

/// <summary>
/// Throttles shared by every actor whose domain maps to the same MX-suffix site. A domain that is
/// its own site gets a throttle of its own, held by its actor alone (so nothing accumulates here).
/// </summary>
internal sealed class SiteThrottleRegistry(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, SiteThrottle> _sites = new(StringComparer.OrdinalIgnoreCase);

    public SiteThrottle For(string domain, DomainShaping shaping) =>
        shaping.SiteKey.Equals(domain, StringComparison.OrdinalIgnoreCase)
            ? new SiteThrottle(shaping, time)
            : _sites.GetOrAdd(shaping.SiteKey, _ => new SiteThrottle(shaping, time));

    /// <summary>Forgets throttles so a reloaded shaping configuration takes effect.</summary>
    public void Clear() => _sites.Clear();
}
