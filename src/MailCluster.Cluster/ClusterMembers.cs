using Orleans.Runtime;

namespace MailCluster.Cluster;

/// <summary>One silo as this silo's membership view has it.</summary>
public sealed record ClusterMember(string Name, string Address, string Status, bool ThisSilo);

/// <summary>The cluster's members, for operators (<c>mailctl silos</c>).</summary>
public sealed class ClusterMembers
{
    private readonly IClusterMembershipService _membership;
    private readonly ILocalSiloDetails _local;

    internal ClusterMembers(IClusterMembershipService membership, ILocalSiloDetails local)
    {
        _membership = membership;
        _local = local;
    }

    public IReadOnlyList<ClusterMember> Members() =>
        [.. _membership.CurrentSnapshot.Members.Values
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .Select(m => new ClusterMember(m.Name, m.SiloAddress.Endpoint.ToString(), ClusterMetrics.StatusName(m.Status), m.SiloAddress.Equals(_local.SiloAddress)))];
}
