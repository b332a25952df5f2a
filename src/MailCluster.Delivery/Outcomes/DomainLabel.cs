using System.Collections.Concurrent;

namespace MailCluster.Delivery.Outcomes;

/// <summary>
/// Bounds the cardinality of the <c>domain</c> metric label: the first <c>limit</c> domains seen
/// (busy domains appear early) keep their name, every later one is reported as <c>other</c>, so a
/// flood of distinct recipient domains cannot blow up the metrics.
/// </summary>
internal sealed class DomainLabel(int limit)
{
    public const string Other = "other";

    /// <summary>Named domains per silo: enough for the busy ones, few enough for any metrics store.</summary>
    public const int DefaultLimit = 50;

    private readonly ConcurrentDictionary<string, bool> _named = new(StringComparer.OrdinalIgnoreCase);

    public string For(string domain)
    {
        if (_named.ContainsKey(domain))
        {
            return domain;
        }
        if (_named.Count >= limit)
        {
            return Other;
        }
        // Racing first sightings may overshoot the limit by a few; the bound still holds.
        _named.TryAdd(domain, true);
        return domain;
    }
}
