using System.Collections.Concurrent;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// The domains an operator suspended: the one record of suspension, read by each actor before it
/// hands out work, so an actor activated later for a suspended domain holds its mail too.
/// </summary>
internal sealed class SuspendedDomains
{
    private readonly ConcurrentDictionary<string, byte> _domains = new(StringComparer.OrdinalIgnoreCase);

    public bool Contains(string domain) => _domains.ContainsKey(domain);

    /// <summary>False when the domain was suspended already.</summary>
    public bool Add(string domain) => _domains.TryAdd(domain, 0);

    /// <summary>False when the domain was not suspended.</summary>
    public bool Remove(string domain) => _domains.TryRemove(domain, out _);

    public IReadOnlyCollection<string> All => [.. _domains.Keys];
}
