using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Egress.Sources;

namespace MailCluster.Delivery.Sites;

/// <summary>A warming source's schedule at one site, whose provider group (null: none) picks the steps; its report names today's caps.</summary>
internal sealed record SiteWarmUp(WarmUpSchedule Schedule, string? Provider)
{
    public WarmUpCap? CapOn(DateTimeOffset now) => Schedule.CapOn(now, Provider);
}
