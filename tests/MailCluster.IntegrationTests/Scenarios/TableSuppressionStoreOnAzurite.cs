using MailCluster.Cluster;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Spool;
using MailCluster.Testing.Spool;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>The shared suppression store of AzureStorage mode meets the same conformance suite as the single silo's file, on Azurite.</summary>
[Collection("Cluster")]
[Trait("Category", "Integration")]
public sealed class TableSuppressionStoreOnAzurite : SuppressionStoreConformance, IAsyncLifetime
{
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..10];
    private AzuriteServer? _azurite;

    protected override ISuppressionStore Store(string name) =>
        new TableSuppressionStore(new Azure.Data.Tables.TableServiceClient(_azurite!.ConnectionString).GetTableClient($"{_prefix}{name}Suppressions"), TimeProvider.System);

    public async Task InitializeAsync() => _azurite = await AzuriteServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}
