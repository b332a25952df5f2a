using MailCluster.Cluster;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Spool;
using MailCluster.Testing.Spool;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>The shared suppression store of AzureStorage mode meets the same conformance suite as the single silo's file, on Azurite.</summary>
[Collection("Cluster")]
[Trait("Category", "Integration")]
public sealed class TableSuppressionStoreOnAzurite(AzuriteForClass storage) : SuppressionStoreConformance, IClassFixture<AzuriteForClass>
{
    // Each test has tables of its own on the one Azurite of the class.
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..10];

    protected override ISuppressionStore Store(string name) =>
        new TableSuppressionStore(new Azure.Data.Tables.TableServiceClient(storage.Azurite.ConnectionString).GetTableClient($"{_prefix}{name}Suppressions"), TimeProvider.System);
}
