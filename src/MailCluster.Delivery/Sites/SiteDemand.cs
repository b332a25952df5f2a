namespace MailCluster.Delivery.Sites;

/// <summary>
/// What the domains of one site want from it (connections, messages) and what the last report
/// asked for, so that a report goes out early only when demand outgrows both. Not thread-safe:
/// its <see cref="SiteLimiter"/> guards it.
/// </summary>
internal sealed class SiteDemand
{
    private readonly Dictionary<string, Demand> _domains = new(StringComparer.OrdinalIgnoreCase);
    private int _askedConnections;
    private bool _askedMessages;

    public bool IsEmpty => _domains.Count == 0;

    /// <summary>Connections all domains could use now.</summary>
    public int Connections => _domains.Values.Sum(d => d.Connections);

    /// <summary>Some domain has messages ready to hand out.</summary>
    public bool Messages => _domains.Values.Any(d => d.Messages);

    /// <summary>Some domain could use a connection or has messages ready.</summary>
    public bool Active => _domains.Values.Any(d => d.Connections > 0 || d.Messages);

    /// <summary>A domain with mail waiting and its primary MX, by which the grain finds the site's rules; null when none takes part.</summary>
    public (string? Domain, string? PrimaryMx) Representative =>
        _domains.Select(d => ((string?)d.Key, d.Value.PrimaryMx)).FirstOrDefault();

    /// <summary>An actor starts because the spool has mail due for its domain: it wants a connection and messages.</summary>
    public void Add(string domain, string? primaryMx, Action wake) => _domains[domain] = new Demand(primaryMx, wake, 1, true);

    public void Remove(string domain) => _domains.Remove(domain);

    /// <summary>Records a domain's demand; true when the site now wants more than both the last report asked for and <paramref name="granted"/>, or messages it did not ask for.</summary>
    public bool Update(string domain, int connections, bool messages, int granted)
    {
        if (!_domains.TryGetValue(domain, out var demand) || (demand.Connections == connections && demand.Messages == messages))
        {
            return false;
        }
        _domains[domain] = demand with { Connections = connections, Messages = messages };
        var wanted = Connections;
        return (wanted > _askedConnections && wanted > granted) || (messages && !_askedMessages);
    }

    /// <summary>A report asking for this went out.</summary>
    public void Asked(int connections, bool messages) => (_askedConnections, _askedMessages) = (connections, messages);

    /// <summary>Each domain's wake: a grain answered (or did not), so every actor looks at its standing again.</summary>
    public List<Action> Wakes() => [.. _domains.Values.Select(d => d.Wake)];

    private sealed record Demand(string? PrimaryMx, Action Wake, int Connections, bool Messages);
}
