using MailCluster.Cluster.RetryTier;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;
using MailCluster.Testing.RetryTier;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>The retry tier on Azure Storage meets the tier conformance suite on Azurite.</summary>
[Collection("Cluster")]
[Trait("Category", "Integration")]
public sealed class AzureRetryTierOnAzurite(AzuriteForClass storage) : RetryTierConformance, IClassFixture<AzuriteForClass>, IDisposable
{
    private readonly TestMeterFactory _meters = new();

    protected override IRetryTier Tier(string service, int partitions = 4) =>
        new AzureRetryTier(storage.Azurite.ConnectionString, service, new RetryTierOptions { Partitions = partitions }, new RetryTierMetrics(_meters), TimeProvider.System);

    public void Dispose() => _meters.Dispose();
}
