using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using MailCluster.Hosting;
using MailCluster.Cluster.RetryTier;
using MailCluster.Cluster.RetryTier.AzureStorage;
using MailCluster.Spool;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace MailCluster.Cluster;

/// <summary>
/// Makes the process an Orleans silo (section <c>Cluster</c>), co-hosted beside Kestrel: one code
/// path for one silo and many. <c>Single</c> mode clusters on localhost and keeps grain state in
/// the local spool; <c>AzureStorage</c> mode keeps membership and grain state in Azure Tables whose
/// names derive from <c>Cluster:ServiceId</c>.
/// </summary>
public static class ClusterServices
{
    /// <summary>Returns the mode the other rooms wire themselves for (the settings are read once, here).</summary>
    public static ClusterMode AddCluster(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ClusterTimings>(builder.Configuration, ClusterTimings.Section, o => o.Validate());
        var settings = builder.Configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();
        if (settings.Validate().ToList() is { Count: > 0 } problems)
        {
            // The cluster's settings shape the wiring itself (the silo, its storage, the tier), so
            // they are checked here, before anything is wired from them; never a silo on defaults.
            throw new OptionsValidationException(ClusterSettings.Section, typeof(ClusterSettings), problems);
        }
        // Made when the host starts (the membership view exists from then on), observed at each scrape.
        builder.Services.AddHostedService<ClusterMetrics>();
        builder.Services.AddSingleton(sp => new ClusterMembers(
            sp.GetRequiredService<Orleans.Runtime.IClusterMembershipService>(), sp.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>()));
        // Registered before the silo's own hosted service, so they run first (and only at start, not on a configuration reload).
        builder.Services.AddHostedService(_ => new PortsFree(settings));
        var tables = settings.ParsedMode == ClusterMode.AzureStorage ? new TableServiceClient(settings.ConnectionString) : null;
        if (tables is not null)
        {
            builder.Services.AddHostedService(sp => new StorageReachable(tables, sp.GetRequiredService<TimeProvider>()));
            // Every silo shares one suppression list: this store replaces the spool's file, whichever room registered first.
            builder.Services.Replace(ServiceDescriptor.Singleton<ISuppressionStore>(sp => new TableSuppressionStore(
                tables.GetTableClient(AzureStorageAccount.TableName(settings.ServiceId, "Suppressions")), sp.GetRequiredService<TimeProvider>())));
            // Deferred mail leaves the local spool for the retry tier, which every silo consumes (the delivery room wires its side by the mode).
            builder.Services.AddValidatedOptions<RetryTierOptions>(builder.Configuration, RetryTierOptions.Section, o => o.Validate());
            builder.Services.AddSingleton(sp => new RetryTierMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
            builder.Services.AddSingleton<IRetryTier>(sp => new AzureRetryTier(
                settings.ConnectionString!, settings.ServiceId, sp.GetRequiredService<RetryTierOptions>(), sp.GetRequiredService<RetryTierMetrics>(), sp.GetRequiredService<TimeProvider>()));
            // SIGTERM: after the SMTP drain, the hand-off of the local queue gets its own time.
            var handOff = (builder.Configuration.GetSection(RetryTierOptions.Section).Get<RetryTierOptions>() ?? new RetryTierOptions()).HandOffTimeout;
            builder.Services.PostConfigure<HostOptions>(host => host.ShutdownTimeout += handOff);
        }
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (settings.ClusterId, settings.ServiceId));
            silo.Configure<SiloOptions>(o => o.SiloName = settings.ResolvedSiloName);
            silo.Configure<ClusterMembershipOptions>(o => (o.ProbeTimeout, o.NumMissedProbesLimit) = (settings.ProbeTimeout, settings.MissedProbesLimit));
            silo.UseSystemTextJsonGrainStorageSerializer();
            if (tables is null)
            {
                silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, primarySiloEndpoint: null, settings.ServiceId, settings.ClusterId);
                silo.Services.AddGrainStorage(GrainStorageNames.Default, (sp, _) =>
                    new LocalGrainStorage(sp.GetRequiredService<ILocalStateStore>(), sp.GetRequiredService<IGrainStorageSerializer>()));
            }
            else
            {
                silo.ConfigureEndpoints(settings.ResolvedAdvertisedAddress, settings.SiloPort, settings.GatewayPort);
                silo.UseAzureStorageClustering(o =>
                {
                    o.TableServiceClient = tables;
                    o.TableName = AzureStorageAccount.TableName(settings.ServiceId, "Silos");
                });
                silo.AddAzureTableGrainStorage(GrainStorageNames.Default, o =>
                {
                    o.TableServiceClient = tables;
                    o.TableName = AzureStorageAccount.TableName(settings.ServiceId, "Grains");
                });
            }
        });
        return settings.ParsedMode;
    }

    /// <summary>Fails the start with a message naming the key when the silo's ports are taken, instead of a socket error from deep inside Orleans.</summary>
    private sealed class PortsFree(ClusterSettings settings) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (PortInUse(settings.SiloPort) is { } silo)
            {
                throw new InvalidOperationException($"{ClusterSettings.Section}:SiloPort {settings.SiloPort} is in use ({silo}); give each silo on a host its own port");
            }
            if (settings.GatewayPort > 0 && PortInUse(settings.GatewayPort) is { } gateway)
            {
                throw new InvalidOperationException($"{ClusterSettings.Section}:GatewayPort {settings.GatewayPort} is in use ({gateway})");
            }
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// Fails the start with a message naming the key when cluster storage does not answer: a silo
    /// cannot join without it. A pod restarting during a storage outage therefore stays down (its
    /// spool keeps what it holds) until storage returns; silos already running keep accepting mail.
    /// </summary>
    private sealed class StorageReachable(TableServiceClient tables, TimeProvider time) : IHostedService
    {
        /// <summary>Long enough for the storage client's own retries of a refused connection.</summary>
        public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            using var timeout = new Deadline(Timeout, time, cancellationToken);
            try
            {
                await foreach (var _ in tables.QueryAsync(maxPerPage: 1, cancellationToken: timeout.Token).AsPages(pageSizeHint: 1))
                {
                    break;
                }
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is not OutOfMemoryException)
            {
                var reason = exception switch
                {
                    OperationCanceledException => $"no answer in {Timeout.TotalSeconds:0} s",
                    // The storage client's retries: the last failure says it.
                    AggregateException { InnerExceptions: [.., var last] } tries => $"{last.Message}, {tries.InnerExceptions.Count} tries",
                    _ => exception.Message.Split('\n')[0],
                };
                throw new InvalidOperationException(
                    $"{ClusterSettings.Section}:ConnectionString: cluster storage at {tables.Uri} is unreachable ({reason}); the silo does not start without it");
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Binds the port briefly, as Orleans is about to.</summary>
    private static string? PortInUse(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Any, port));
            return null;
        }
        catch (SocketException exception)
        {
            return exception.SocketErrorCode.ToString();
        }
    }
}
