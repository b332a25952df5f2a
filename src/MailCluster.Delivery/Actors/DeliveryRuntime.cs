using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Shaping;
using MailCluster.Delivery.Sites;
using MailCluster.Hosting;
using MailCluster.Spool;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Actors;

/// <summary>What every domain actor of a silo shares (<paramref name="Responses"/> for the provider groups warm-ups name); <paramref name="Drain"/> when ingress sets a SIGTERM deadline.</summary>
internal sealed record DeliveryRuntime(
    IDeliveryQueue Spool,
    IMxConnector Connector,
    ShapingRules Shaping,
    SiteLimiterRegistry Sites,
    EgressPlan Egress,
    Responses.ResponseRules Responses,
    SourceActivity Activity,
    AttemptRecorder Recorder,
    DeliveryOptions Options,
    DeliveryMetrics Metrics,
    TimeProvider Time,
    ILogger Logger,
    DrainDeadline? Drain = null)
{
    /// <summary>Cancelled when the SIGTERM deadline passed: transactions still in flight are cut then.</summary>
    public CancellationToken DrainPassed => Drain?.Passed ?? CancellationToken.None;
}
