using System.Diagnostics.Metrics;
using MailCluster.Cluster;
using MailCluster.Cluster.RetryTier;
using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.MtaSts;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Retry;
using MailCluster.Delivery.Shaping;
using MailCluster.Delivery.Sites;
using MailCluster.Delivery.Suppression;
using MailCluster.Delivery.Tier;
using MailCluster.Dns;
using MailCluster.Dns.Mx;
using MailCluster.Hosting;
using MailCluster.Mime.Dkim;
using MailCluster.Mime.Dsn;
using MailCluster.Mime.Headers;
using MailCluster.Smtp.Client;
using MailCluster.Spool;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery;

/// <summary>
/// The delivery room's wiring: its options (sections <c>Delivery</c>, <c>Delivery:Client</c>,
/// <c>Shaping</c> and <c>Dns</c>), the domain actors and their scheduler, outcomes and DSNs, and
/// <see cref="QueueOperations"/> and <see cref="ClusterShaping"/> for operators. Needs the spool room and a <see cref="TimeProvider"/>
/// and <see cref="Random"/>.
/// </summary>
public static class DeliveryServices
{
    /// <param name="mode">The cluster room's mode: in <see cref="ClusterMode.AzureStorage"/> deferred mail goes through the retry tier, whose movers and consumers are this room's.</param>
    public static IServiceCollection AddDelivery(this IServiceCollection services, IConfiguration configuration, ClusterMode mode)
    {
        services.AddValidatedOptions<DeliveryOptions>(configuration, "Delivery", o => o.Validate());
        services.AddValidatedOptions<ShapingOptions>(configuration, "Shaping", o => o.Validate());
        services.AddValidatedOptions<DnsOptions>(configuration, DnsOptions.SectionName, DnsOptionsValidator.Validate);
        services.AddValidatedOptions<SmtpClientOptions>(configuration, "Delivery:Client", o => o.Validate())
            .PostConfigure<DeliveryOptions>((client, delivery) => client.HeloName = delivery.HeloName);

        services.AddSingleton<DeliveryTrigger>();
        services.AddSingleton(sp => new DeliveryMetrics(sp.GetRequiredService<IMeterFactory>(), new DomainLabel(DomainLabel.DefaultLimit)));
        services.AddSingleton<IAbandonedClaimsListener>(sp => new PossibleDuplicatesCounter(sp.GetRequiredService<DeliveryMetrics>()));
        services.AddSingleton(sp => new RetryPolicy(sp.GetRequiredService<DeliveryOptions>().Retry, sp.GetRequiredService<Random>()));
        services.AddSingleton<MessageIdGenerator>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<DeliveryOptions>();
            return new DsnBuilder(
                new DsnOptions { ReportingMta = options.HeloName, PostmasterAddress = options.PostmasterAddress, MaxReturnedContent = options.Dsn.MaxReturnedContent },
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<MessageIdGenerator>());
        });
        // DKIM (section Dkim): ingress signs what it accepts, and the DSNs this room writes are signed the same way.
        services.AddValidatedOptions<DkimOptions>(configuration, DkimOptions.Section, o => o.Validate());
        services.AddSingleton(sp => new MessageSigner(DkimKeyRing.From(sp.GetRequiredService<DkimOptions>())));
        services.AddSingleton<BounceFactory>();
        services.AddSingleton(sp => new DeliveryLog(sp.GetRequiredService<DeliveryOptions>().LogPath, sp.GetRequiredService<DeliveryMetrics>()));
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryLog>());
        services.AddValidatedOptions<SuppressionOptions>(configuration, SuppressionOptions.Section, o => o.Validate());
        services.AddSingleton(sp => new SuppressionList(
            sp.GetRequiredService<ISuppressionStore>(),
            sp.GetRequiredService<SuppressionOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Delivery.Suppression")));
        // Loaded before the listeners open (hosted services start in order; Kestrel starts last).
        services.AddHostedService(sp => sp.GetRequiredService<SuppressionList>());
        services.AddSingleton<AttemptRecorder>();
        services.AddSingleton(sp => DnsResolver.CreateMxResolver(
            sp.GetRequiredService<DnsOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Random>(), sp.GetRequiredService<IMeterFactory>()));
        services.AddSingleton(sp => MxAddressPolicy.FromOptions(sp.GetRequiredService<DeliveryOptions>()));
        services.AddSingleton(sp => TrustedRoots.Load(sp.GetRequiredService<DeliveryOptions>().TrustedRootsFile));
        services.AddSingleton<IMtaStsSource>(sp => new HttpsMtaStsSource(
            sp.GetRequiredService<MxResolver>(), sp.GetRequiredService<MxAddressPolicy>(), sp.GetRequiredService<TrustedRoots>(), sp.GetRequiredService<DeliveryOptions>().MtaSts));
        services.AddSingleton(sp => new MtaStsPolicies(
            sp.GetRequiredService<IMtaStsSource>(),
            sp.GetRequiredService<DeliveryOptions>().MtaSts,
            sp.GetRequiredService<DeliveryMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Delivery.MtaSts")));
        services.AddSingleton<IMxConnector, MxConnector>();
        services.AddSingleton(sp => new ShapingRules(sp.GetRequiredService<ShapingOptions>()));
        services.AddSingleton(sp => new SiteClock(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ISiteAuthority>(sp => new GrainSiteAuthority(
            sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>()));
        services.AddSingleton(sp => new SiteLimiterRegistry(
            sp.GetRequiredService<ISiteAuthority>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<DeliveryMetrics>(), sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<ClusterTimings>()));
        services.AddSingleton(sp => new DeliveryRuntime(
            sp.GetRequiredService<IDeliveryQueue>(),
            sp.GetRequiredService<IMxConnector>(),
            sp.GetRequiredService<ShapingRules>(),
            sp.GetRequiredService<SiteLimiterRegistry>(),
            sp.GetRequiredService<AttemptRecorder>(),
            sp.GetRequiredService<DeliveryOptions>(),
            sp.GetRequiredService<DeliveryMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Delivery")));
        services.AddSingleton(sp =>
        {
            var directory = new DomainActorDirectory(sp.GetRequiredService<DeliveryRuntime>());
            var time = sp.GetRequiredService<TimeProvider>();
            sp.GetRequiredService<DeliveryMetrics>().ObserveDomains(() =>
            {
                var now = time.GetUtcNow();
                return directory.Active.Select(a => a.Snapshot).Select(s => (s.Domain, s.Connections, s.IsBackingOff(now)));
            });
            return directory;
        });
        services.AddSingleton(sp => new QueueOperations(
            sp.GetRequiredService<ISpoolOperations>(),
            sp.GetRequiredService<IDeliveryQueue>(),
            sp.GetRequiredService<DomainActorDirectory>(),
            sp.GetRequiredService<ShapingRules>(),
            sp.GetRequiredService<IMxConnector>(),
            sp.GetRequiredService<ISiteAuthority>(),
            sp.GetRequiredService<AttemptRecorder>(),
            sp.GetRequiredService<DeliveryTrigger>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Delivery"),
            sp.GetService<TierOperations>()));
        // In AzureStorage mode the retry tier's consumer and mover are registered before the scheduler, so
        // they stop after it: entries the actors hand back are written, then the hand-off runs.
        if (mode == ClusterMode.AzureStorage)
        {
            services.AddSingleton(sp => new TierOutcomes(
                sp.GetRequiredService<IRetryTier>(), sp.GetRequiredService<BounceFactory>(), sp.GetRequiredService<RetryTierOptions>(),
                sp.GetRequiredService<RetryTierMetrics>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Delivery.Tier")));
            services.AddSingleton(sp => new TierConsumer(
                sp.GetRequiredService<IRetryTier>(), sp.GetRequiredService<DomainActorDirectory>(), sp.GetRequiredService<TierOutcomes>(), sp.GetRequiredService<ShapingRules>(),
                sp.GetRequiredService<RetryTierOptions>(), sp.GetRequiredService<RetryTierMetrics>(), sp.GetRequiredService<ClusterTimings>(),
                sp.GetRequiredService<DeliveryOptions>().Retry.MaxQueueLifetime + TimeSpan.FromDays(1), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Delivery.Tier")));
            services.AddSingleton(sp => new TierMover(
                sp.GetRequiredService<IRetryTier>(), sp.GetRequiredService<ISpoolOperations>(), sp.GetRequiredService<IDeliveryQueue>(), sp.GetRequiredService<RetryTierOptions>(),
                sp.GetRequiredService<RetryTierMetrics>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IHostApplicationLifetime>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Delivery.Tier")));
            services.AddSingleton(sp => new TierOperations(sp.GetRequiredService<IRetryTier>(), sp.GetRequiredService<TierMover>(), sp.GetRequiredService<TimeProvider>()));
            services.AddHostedService(sp => sp.GetRequiredService<TierMover>());
            services.AddHostedService(sp => sp.GetRequiredService<TierConsumer>());
        }
        services.AddHostedService<DeliveryScheduler>();
        services.AddSingleton(sp => new ClusterShaping(
            sp.GetRequiredService<IConfiguration>(),
            sp.GetRequiredService<QueueOperations>(),
            sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>().Name,
            sp.GetRequiredService<ClusterTimings>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Delivery.Shaping")));
        services.AddHostedService(sp => sp.GetRequiredService<ClusterShaping>());
        return services;
    }

    /// <summary>Recipients a crashed run left claimed are retried; the MX may have had some: count them as possible duplicates.</summary>
    private sealed class PossibleDuplicatesCounter(DeliveryMetrics metrics) : IAbandonedClaimsListener
    {
        public void ClaimsVoided(int recipients) => metrics.PossibleDuplicate(recipients);
    }
}
