using MailCluster.Cluster.Shaping;
using MailCluster.Hosting;
using Orleans.Runtime;

namespace MailCluster.Cluster.Sites;

/// <summary>
/// The cluster-wide authority for one shaping site (a domain, or an <c>mx:</c> suffix whose domains
/// share limits), keyed by the site. Coarse calls: one exchange per silo per site per period.
/// </summary>
[Alias("mailcluster.IDomainGrain")]
public interface IDomainGrain : IGrainWithStringKey
{
    /// <summary>A silo's report, answered with what it may use until its next exchange.</summary>
    [Alias("Exchange")]
    Task<SiteGrant> ExchangeAsync(SiteReport report, CancellationToken cancellationToken = default);

    /// <summary>The site as the cluster sees it now.</summary>
    [Alias("View")]
    Task<SiteView> GetViewAsync();

    /// <summary>Suspends a domain of the site, or the whole site when <paramref name="domain"/> is null; false when it already was.</summary>
    [Alias("Suspend")]
    Task<bool> SuspendAsync(string? domain);

    /// <summary>Resumes a domain, or the whole site when <paramref name="domain"/> is null; false when it was not suspended.</summary>
    [Alias("Resume")]
    Task<bool> ResumeAsync(string? domain);
}

/// <summary>
/// The grain around <see cref="SiteLedger"/>: the ledger decides, this persists. Whatever a grant
/// depends on (the lease horizon, a backoff) is written, ETag-fenced, before the grant goes out;
/// a stale ETag escapes so that Orleans deactivates the stale copy. Activation writes first (a fence).
/// </summary>
internal sealed class DomainGrain(
    ShapingRules rules,
    SiteClock clock,
    ClusterTimings timings,
    ILocalSiloDetails silo,
    [PersistentState("site", GrainStorageNames.Default)] IPersistentState<SiteState> state) : Grain, IDomainGrain
{
    private SiteLedger? _ledger;

    private SiteLedger Ledger => _ledger ?? throw new InvalidOperationException("The site grain is not active.");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Write before granting: an earlier activation still alive (a second one during a silo's
        // failure detection) then fails its next write on the ETag and is deactivated.
        await state.WriteStateAsync(cancellationToken);
        _ledger = new SiteLedger(Guid.NewGuid(), state.State, clock.Now, timings);
    }

    public async Task<SiteGrant> ExchangeAsync(SiteReport report, CancellationToken cancellationToken = default)
    {
        var grant = Ledger.Exchange(report, rules.ForGrain(this.GetPrimaryKeyString(), report.Domain, report.PrimaryMx), clock.Now);
        await PersistAsync();
        return grant;
    }

    public Task<SiteView> GetViewAsync() => Task.FromResult(Ledger.View(silo.Name, clock.Now));

    public async Task<bool> SuspendAsync(string? domain)
    {
        var changed = Ledger.Suspend(domain);
        await PersistAsync();
        return changed;
    }

    public async Task<bool> ResumeAsync(string? domain)
    {
        var changed = Ledger.Resume(domain);
        await PersistAsync();
        return changed;
    }

    private async Task PersistAsync()
    {
        if (Ledger.StateChanged)
        {
            state.State = Ledger.State;
            await state.WriteStateAsync();
            Ledger.StateWritten();
        }
    }
}
