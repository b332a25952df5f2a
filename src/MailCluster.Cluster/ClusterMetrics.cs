using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;

namespace MailCluster.Cluster;

/// <summary>The cluster as this silo's membership view sees it: silos by status (meter <c>MailCluster.Cluster</c>).</summary>
internal sealed class ClusterMetrics : IHostedService, IDisposable
{
    public const string MeterName = "MailCluster.Cluster";

    private readonly Meter _meter;

    public ClusterMetrics(IMeterFactory meterFactory, IClusterMembershipService membership)
        : this(meterFactory, () => membership.CurrentSnapshot.Members.Values.Select(m => m.Status))
    {
    }

    /// <param name="members">The membership status of every silo in the view, read at each scrape.</param>
    internal ClusterMetrics(IMeterFactory meterFactory, Func<IEnumerable<SiloStatus>> members)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge(
            "mailcluster.cluster.silos",
            () => members()
                .GroupBy(StatusName)
                .Select(g => new Measurement<int>(g.Count(), new KeyValuePair<string, object?>("status", g.Key))),
            "{silo}",
            "Silos in this silo's view of the cluster, by membership status.");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _meter.Dispose();

    public static string StatusName(SiloStatus status) => status switch
    {
        SiloStatus.Active => "active",
        SiloStatus.Joining or SiloStatus.Created => "joining",
        SiloStatus.ShuttingDown or SiloStatus.Stopping => "leaving",
        SiloStatus.Dead => "dead",
        _ => "unknown",
    };
}
