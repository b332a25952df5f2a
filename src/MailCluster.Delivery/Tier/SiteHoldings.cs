namespace MailCluster.Delivery.Tier;

/// <summary>
/// Retry-tier entries this silo holds per site, bounded: a site in backoff or suspended would
/// otherwise fill <c>RetryTier:MaxInFlight</c> (which every domain shares) with entries it cannot
/// take, and the whole tier would stall behind it. An entry over the bound is put back at once.
/// </summary>
internal sealed class SiteHoldings(int perSite)
{
    private readonly Dictionary<string, int> _held = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    /// <summary>Takes one of the site's places; false when it holds its bound already.</summary>
    public bool TryHold(string site)
    {
        lock (_lock)
        {
            var held = _held.GetValueOrDefault(site);
            if (held >= perSite)
            {
                return false;
            }
            _held[site] = held + 1;
            return true;
        }
    }

    public void Release(string site)
    {
        lock (_lock)
        {
            var held = _held.GetValueOrDefault(site);
            if (held <= 1)
            {
                _held.Remove(site);
            }
            else
            {
                _held[site] = held - 1;
            }
        }
    }

    public int Held(string site)
    {
        lock (_lock)
        {
            return _held.GetValueOrDefault(site);
        }
    }
}
