using MailCluster.Cluster.Sites;
namespace MailCluster.Delivery.Sites;

/// <summary>Where a silo's site limits come from: the site's grain, in every mode (one code path for one silo and many).</summary>
internal interface ISiteAuthority
{
    /// <summary>This silo's name in its reports.</summary>
    string SiloName { get; }

    Task<SiteGrant> ExchangeAsync(string site, SiteReport report, CancellationToken cancellationToken);

    Task<bool> SuspendAsync(string site, string? domain);

    Task<bool> ResumeAsync(string site, string? domain);

    Task<SiteView> ViewAsync(string site);
}

/// <summary>The site grains of the Orleans cluster this silo belongs to.</summary>
internal sealed class GrainSiteAuthority(IGrainFactory grains, Orleans.Runtime.ILocalSiloDetails silo) : ISiteAuthority
{
    public string SiloName => silo.Name;

    public Task<SiteGrant> ExchangeAsync(string site, SiteReport report, CancellationToken cancellationToken) =>
        grains.GetGrain<IDomainGrain>(site).ExchangeAsync(report, cancellationToken);

    public Task<bool> SuspendAsync(string site, string? domain) => grains.GetGrain<IDomainGrain>(site).SuspendAsync(domain);

    public Task<bool> ResumeAsync(string site, string? domain) => grains.GetGrain<IDomainGrain>(site).ResumeAsync(domain);

    public Task<SiteView> ViewAsync(string site) => grains.GetGrain<IDomainGrain>(site).GetViewAsync();
}
