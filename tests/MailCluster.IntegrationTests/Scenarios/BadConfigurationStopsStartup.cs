using System.Net;
using System.Net.Sockets;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>A silo whose settings cannot work stops at start with one message naming the key, and a non-zero exit.</summary>
[Trait("Category", "Integration")]
public sealed class BadConfigurationStopsStartup
{
    [Theory]
    [InlineData("--Smtp:Limits:MaxRecipientsPerMessage=50", "Smtp:Limits:MaxRecipientsPerMessage is 50; RFC 5321 4.5.3.1.8 requires at least 100")]
    [InlineData("--Delivery:Client:Timeouts:DataTermination=00:01:00", "Delivery:Client:Timeouts:DataTermination is 00:01:00; RFC 5321 4.5.3.2.6 requires at least 00:10:00")]
    public async Task ALimitBelowTheRfcFloorIsNamed(string setting, string message) =>
        await AssertStopsWithAsync(message, setting);

    [Theory]
    [InlineData("--Cluster:Mode=Kubernetes", "Cluster:Mode 'Kubernetes' is not a cluster mode; use Single or AzureStorage")]
    [InlineData("--Cluster:Mode=AzureStorage", "Cluster:ConnectionString is required in AzureStorage mode")]
    [InlineData("--Cluster:Mode=AzureStorage --Cluster:ConnectionString=AccountName=x;Nonsense", "Cluster:ConnectionString does not parse")]
    public async Task ABadKeyIsNamed(string settings, string message) =>
        await AssertStopsWithAsync(message, settings.Split(' '));

    [Fact]
    public async Task ASiloPortInUseIsNamed()
    {
        using var taken = new TcpListener(IPAddress.Any, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await AssertStopsWithAsync($"Cluster:SiloPort {port} is in use", $"--Cluster:SiloPort={port}");
    }

    [Fact]
    public async Task ClusterStorageThatDoesNotAnswerAtStartIsNamed()
    {
        // A table endpoint on a loopback port nobody listens on: every connection is refused.
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await AssertStopsWithAsync(
            $"Cluster:ConnectionString: cluster storage at http://127.0.0.1:{port}/devstoreaccount1 is unreachable",
            "--Cluster:Mode=AzureStorage",
            "--Cluster:ConnectionString=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Zm9v;" +
            $"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;");
    }

    private static async Task AssertStopsWithAsync(string message, params string[] settings)
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path, settings);
        var start = await Record.ExceptionAsync(silo.StartAsync);
        Assert.IsType<InvalidOperationException>(start);
        Assert.NotEqual(0, await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(message, silo.Output, StringComparison.Ordinal);
    }
}
