using MailCluster.Cluster.RetryTier;
using MailCluster.Delivery.Tier;
using MailCluster.Silo.Ingress;
using MailCluster.Smtp.Server;
using MailCluster.Spool;
using MailCluster.Testing.IO;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MailCluster.Silo.Tests.Architecture;

/// <summary>
/// The silo composes with one call in either mode, and every hosted service (hence everything it
/// needs) can be constructed without a cluster, storage or network: wiring that depends on
/// registration order or on services only a running cluster has fails here, not in production.
/// </summary>
public sealed class CompositionTests : IDisposable
{
    private readonly TempDirectory _spool = new();

    public void Dispose() => _spool.Dispose();

    [Theory]
    [InlineData("Single")]
    [InlineData("AzureStorage")]
    public async Task EveryHostedServiceResolvesInEachModeWithoutACluster(string mode)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args =
            [
                $"--Cluster:Mode={mode}", "--Cluster:ConnectionString=UseDevelopmentStorage=true", $"--Spool:Path={_spool.Path}",
                "--Smtp:Listen=127.0.0.1:2525", "--Http:Listen=127.0.0.1:8025", "--Dns:Nameservers:0=127.0.0.1:9",
            ],
        });
        builder.AddMailCluster();
        await using var app = builder.Build();

        var hosted = app.Services.GetServices<IHostedService>().Select(s => s.GetType().Name).ToList();

        Assert.Contains("DeliveryScheduler", hosted);
        Assert.Contains("SuppressionList", hosted);
        var inCluster = mode == "AzureStorage";
        Assert.Equal(inCluster, hosted.Contains(nameof(TierConsumer)));
        Assert.Equal(inCluster, app.Services.GetService<IRetryTier>() is not null);
        Assert.Equal(inCluster ? "TableSuppressionStore" : "FileSuppressionStore", app.Services.GetRequiredService<ISuppressionStore>().GetType().Name);
        // Every session's host, built from its parts (admission, trace fields, signing, commit).
        Assert.IsType<SpoolingSessionHost>(app.Services.GetRequiredService<ISmtpSessionHost>());
    }
}
