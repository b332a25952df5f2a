namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>One Azurite shared by a test class's tests (each test keeps to names of its own).</summary>
public sealed class AzuriteForClass : IAsyncLifetime
{
    private AzuriteServer? _azurite;

    public AzuriteServer Azurite => _azurite ?? throw new InvalidOperationException("Azurite not started");

    public async Task InitializeAsync() => _azurite = await AzuriteServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}
