using MailCluster.Cluster.RetryTier;
using MailCluster.Testing.RetryTier;

namespace MailCluster.Delivery.Tests.Tier;

/// <summary>The in-memory tier the tier's unit tests run on keeps the same rules as Azure Storage.</summary>
public sealed class InMemoryRetryTierConformance : RetryTierConformance
{
    private readonly Dictionary<string, InMemoryRetryTier> _services = [];

    /// <summary>Two tiers of one service share storage: here, one instance (the partition count is the first one's).</summary>
    protected override IRetryTier Tier(string service, int partitions = 4) =>
        _services.TryGetValue(service, out var tier) ? tier.WithPartitions(partitions) : _services[service] = new InMemoryRetryTier(TimeProvider.System, partitions);
}
