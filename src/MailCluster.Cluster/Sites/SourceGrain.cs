using MailCluster.Hosting;
using Orleans.Runtime;

namespace MailCluster.Cluster.Sites;

/// <summary>
/// What one egress source did across the cluster, keyed by the source's name: connections opened
/// and messages delivered per site over the last minute (every silo reports what it did since its
/// last report), and the domains an operator suspended on it. What operators read with
/// <c>mailctl sources</c>; the limits themselves live in the (site, source) grains.
/// </summary>
[Alias("mailcluster.ISourceGrain")]
public interface ISourceGrain : IGrainWithStringKey
{
    /// <summary>A silo's activity on this source since its last report.</summary>
    [Alias("Report")]
    Task ReportAsync(IReadOnlyList<SiteActivity> activity);

    /// <summary>The last minute's activity per site, and the suspended domains.</summary>
    [Alias("View")]
    Task<SourceActivityView> GetViewAsync();

    /// <summary>An operator suspended (or resumed) <paramref name="domain"/> on this source.</summary>
    [Alias("Suspended")]
    Task SuspendedAsync(string domain, bool suspended);
}

/// <summary>Connections opened and messages delivered at one site from one source.</summary>
[GenerateSerializer, Immutable, Alias("mailcluster.SiteActivity")]
public sealed record SiteActivity(string Site, int Connections, int Messages);

/// <summary>A source's last minute per site, its suspended domains, and the sites it sent to today (UTC), where a warm-up counts.</summary>
[GenerateSerializer, Immutable, Alias("mailcluster.SourceActivityView")]
public sealed record SourceActivityView(IReadOnlyList<SiteActivity> LastMinute, IReadOnlyList<string> SuspendedDomains, IReadOnlyList<string>? SitesToday = null);

/// <summary>A source's suspended domains and the sites it sent to today; the minute's activity is not kept (a grain that moves starts a new minute).</summary>
[GenerateSerializer, Alias("mailcluster.SourceState")]
public sealed class SourceState
{
    [Id(0)]
    public List<string> SuspendedDomains { get; set; } = [];

    /// <summary>Sites with activity in the UTC day of <see cref="SitesDay"/>.</summary>
    [Id(1)]
    public List<string> SitesToday { get; set; } = [];

    [Id(2)]
    public DateOnly SitesDay { get; set; }
}

/// <summary>The grain around <see cref="SourceLedger"/>: the ledger keeps, this persists the suspensions and the day's sites.</summary>
internal sealed class SourceGrain(SiteClock clock, [PersistentState("source", GrainStorageNames.Default)] IPersistentState<SourceState> state) : Grain, ISourceGrain
{
    private SourceLedger? _ledger;

    private SourceLedger Ledger => _ledger ??= new SourceLedger(state.State);

    public async Task ReportAsync(IReadOnlyList<SiteActivity> activity)
    {
        if (Ledger.Report(clock.Now, activity))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<SourceActivityView> GetViewAsync() => Task.FromResult(Ledger.View(clock.Now));

    public async Task SuspendedAsync(string domain, bool suspended)
    {
        if (Ledger.Suspended(domain, suspended))
        {
            await state.WriteStateAsync();
        }
    }
}

/// <summary>A source's last minute of activity per site (<see cref="ActivityWindow"/>), and its suspended domains and sites of the day (in <see cref="SourceState"/>).</summary>
internal sealed class SourceLedger(SourceState state)
{
    private readonly ActivityWindow _window = new(TimeSpan.FromMinutes(1));

    /// <summary>Adds a silo's activity; true when the day's sites changed (a new site, or a new UTC day), which the grain then writes.</summary>
    public bool Report(DateTimeOffset now, IReadOnlyList<SiteActivity> activity)
    {
        _window.Add(now, activity);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var changed = false;
        if (today > state.SitesDay)
        {
            (state.SitesDay, changed) = (today, state.SitesToday.Count > 0);
            state.SitesToday.Clear();
        }
        foreach (var site in activity.Select(a => a.Site).Where(s => !state.SitesToday.Contains(s, StringComparer.OrdinalIgnoreCase)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            state.SitesToday.Add(site);
            changed = true;
        }
        return changed;
    }

    public SourceActivityView View(DateTimeOffset now) => new(
        _window.Sum(now),
        [.. state.SuspendedDomains.Order(StringComparer.Ordinal)],
        DateOnly.FromDateTime(now.UtcDateTime) == state.SitesDay ? [.. state.SitesToday.Order(StringComparer.Ordinal)] : []);

    /// <summary>Records a suspension or resumption; false when it changed nothing.</summary>
    public bool Suspended(string domain, bool suspended)
    {
        var domains = state.SuspendedDomains;
        var known = domains.FindIndex(d => d.Equals(domain, StringComparison.OrdinalIgnoreCase));
        if (suspended == known >= 0)
        {
            return false;
        }
        if (suspended)
        {
            domains.Add(domain.ToLowerInvariant());
        }
        else
        {
            domains.RemoveAt(known);
        }
        return true;
    }
}
