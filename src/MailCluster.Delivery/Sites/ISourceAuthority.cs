using MailCluster.Cluster.Sites;

namespace MailCluster.Delivery.Sites;

/// <summary>Where an egress source's cluster-wide activity and suspensions are kept: its <see cref="ISourceGrain"/>, in every mode.</summary>
internal interface ISourceAuthority
{
    /// <summary>This silo's activity on the source since its last report.</summary>
    Task ReportAsync(string source, IReadOnlyList<SiteActivity> activity);

    /// <summary>The source's last minute across the cluster, and its suspended domains.</summary>
    Task<SourceActivityView> ViewAsync(string source);

    /// <summary>Records that an operator suspended (or resumed) a domain on the source.</summary>
    Task SuspendedAsync(string source, string domain, bool suspended);
}

/// <summary>The source grains of the Orleans cluster this silo belongs to.</summary>
internal sealed class GrainSourceAuthority(IGrainFactory grains) : ISourceAuthority
{
    public Task ReportAsync(string source, IReadOnlyList<SiteActivity> activity) => grains.GetGrain<ISourceGrain>(source).ReportAsync(activity);

    public Task<SourceActivityView> ViewAsync(string source) => grains.GetGrain<ISourceGrain>(source).GetViewAsync();

    public Task SuspendedAsync(string source, string domain, bool suspended) => grains.GetGrain<ISourceGrain>(source).SuspendedAsync(domain, suspended);
}
