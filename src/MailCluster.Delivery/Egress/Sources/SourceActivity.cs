using MailCluster.Cluster.Sites;

namespace MailCluster.Delivery.Egress.Sources;

/// <summary>
/// What this silo's connections did per (source, site) since the last report: connections opened
/// and messages delivered. Counted by connection workers on any thread (once per connection or
/// transaction, so one lock costs nothing); taken, and started afresh, by <see cref="SourceActivityReporter"/>.
/// </summary>
internal sealed class SourceActivity
{
    private readonly Lock _lock = new();
    private Dictionary<(string Source, string Site), (int Connections, int Messages)> _counts = [];

    public void Connected(EgressSource source, string site) => Count(source, site, connections: 1, messages: 0);

    public void Delivered(EgressSource source, string site) => Count(source, site, connections: 0, messages: 1);

    /// <summary>Per source, the counts since the last call.</summary>
    public Dictionary<string, List<SiteActivity>> Take()
    {
        Dictionary<(string Source, string Site), (int Connections, int Messages)> counts;
        lock (_lock)
        {
            (counts, _counts) = (_counts, []);
        }
        var taken = new Dictionary<string, List<SiteActivity>>(StringComparer.OrdinalIgnoreCase);
        foreach (var ((source, site), (connections, messages)) in counts)
        {
            (taken.TryGetValue(source, out var sites) ? sites : taken[source] = []).Add(new SiteActivity(site, connections, messages));
        }
        return taken;
    }

    private void Count(EgressSource source, string site, int connections, int messages)
    {
        lock (_lock)
        {
            var (c, m) = _counts.GetValueOrDefault((source.Name, site));
            _counts[(source.Name, site)] = (c + connections, m + messages);
        }
    }
}
