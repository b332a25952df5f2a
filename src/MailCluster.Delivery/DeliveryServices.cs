using System.Diagnostics.Metrics;
using MailCluster.Cluster;
using MailCluster.Cluster.RetryTier;
using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.MtaSts;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Responses;
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
        // Response rules (section ResponseRules, from ResponseRulesFile): what replies mean, reloaded with the shaping rules.
        services.AddValidatedOptions<ResponseRulesOptions>(configuration, ResponseRulesOptions.Section, o => o.Validate());
        services.AddSingleton(sp =>
        {
            var rules = new ResponseRules(Logger(sp, "Responses"));
            rules.Replace(sp.GetRequiredService<ResponseRulesOptions>());
            return rules;
        });
        services.AddSingleton<ResponseJudge>();
        services.AddValidatedOptions<DnsOptions>(configuration, DnsOptions.SectionName, DnsOptionsValidator.Validate);
        services.AddValidatedOptions<SmtpClientOptions>(configuration, "Delivery:Client", o => o.Validate())
            .PostConfigure<DeliveryOptions>((client, delivery) => client.HeloName = delivery.HeloName);

        // The delivery options' parts, each a service of its own, so that their users are constructed by the container.
        services.AddSingleton(sp => sp.GetRequiredService<DeliveryOptions>().Retry);
        services.AddSingleton(sp => sp.GetRequiredService<DeliveryOptions>().MtaSts);
        services.AddSingleton(sp => DsnOptionsOf(sp.GetRequiredService<DeliveryOptions>()));

        services.AddSingleton<DeliveryTrigger>();
        services.AddSingleton(new DomainLabel(DomainLabel.DefaultLimit));
        services.AddSingleton<DeliveryMetrics>();
        services.AddSingleton<IAbandonedClaimsListener, PossibleDuplicatesCounter>();
        services.AddSingleton<RetryPolicy>();
        services.AddSingleton<MessageIdGenerator>();
        services.AddSingleton<DsnBuilder>();
        // DKIM (section Dkim): ingress signs what it accepts, and the DSNs this room writes are signed the same way.
        services.AddValidatedOptions<DkimOptions>(configuration, DkimOptions.Section, o => o.Validate());
        services.AddSingleton(sp => DkimKeyRing.From(sp.GetRequiredService<DkimOptions>()));
        services.AddSingleton<MessageSigner>();
        services.AddSingleton<BounceFactory>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<DeliveryLog>(sp, sp.GetRequiredService<DeliveryOptions>().LogPath));
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryLog>());
        services.AddValidatedOptions<SuppressionOptions>(configuration, SuppressionOptions.Section, o => o.Validate());
        services.AddSingleton(sp => new SuppressionList(
            sp.GetRequiredService<ISuppressionStore>(), sp.GetRequiredService<SuppressionOptions>(), sp.GetRequiredService<TimeProvider>(), Logger(sp, "Suppression")));
        // Loaded before the listeners open (hosted services start in order; Kestrel starts last).
        services.AddHostedService(sp => sp.GetRequiredService<SuppressionList>());
        services.AddSingleton<AttemptRecorder>();

        services.AddSingleton(sp => DnsResolver.CreateMxResolver(
            sp.GetRequiredService<DnsOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Random>(), sp.GetRequiredService<IMeterFactory>()));
        services.AddSingleton(sp => MxAddressPolicy.FromOptions(sp.GetRequiredService<DeliveryOptions>()));
        services.AddSingleton(sp => TrustedRoots.Load(sp.GetRequiredService<DeliveryOptions>().TrustedRootsFile));
        services.AddSingleton<IMtaStsSource, HttpsMtaStsSource>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<MtaStsPolicies>(sp, Logger(sp, "MtaSts")));
        services.AddSingleton(sp => new SourceDialer(
            sp.GetRequiredService<DeliveryOptions>(), sp.GetRequiredService<DeliveryMetrics>(), sp.GetRequiredService<TimeProvider>(), Logger(sp, "Egress")));
        services.AddSingleton<IMxConnector, MxConnector>();
        // Egress sources and pools (section Egress): without any, one implicit source on the default address.
        services.AddValidatedOptions<EgressOptions>(configuration, EgressOptions.Section, o => o.Validate());
        services.AddSingleton(sp => EgressPlan.From(sp.GetRequiredService<EgressOptions>(), sp.GetRequiredService<DeliveryOptions>().HeloName));
        // Ingress checks the pool a message names against the plan, and takes the pool header out.
        services.AddSingleton(sp => new EgressPoolNames(sp.GetRequiredService<EgressPlan>(), sp.GetRequiredService<EgressOptions>().PoolHeader));

        services.AddSingleton<ShapingRules>();
        services.AddSingleton<SiteClock>();
        services.AddSingleton<ISiteAuthority, GrainSiteAuthority>();
        services.AddSingleton<ISourceAuthority, GrainSourceAuthority>();
        services.AddSingleton<SourceActivity>();
        services.AddHostedService<SourceActivityReporter>();
        services.AddSingleton<SiteLimiterRegistry>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<DeliveryRuntime>(sp, Logger(sp)));
        services.AddSingleton(sp => ObservedDirectory(sp.GetRequiredService<DeliveryRuntime>()));
        services.AddSingleton(sp => new QueueOperations(
            sp.GetRequiredService<ISpoolOperations>(), sp.GetRequiredService<IDeliveryQueue>(), sp.GetRequiredService<DomainActorDirectory>(), sp.GetRequiredService<ShapingRules>(),
            sp.GetRequiredService<IMxConnector>(), sp.GetRequiredService<ISiteAuthority>(), sp.GetRequiredService<ISourceAuthority>(), sp.GetRequiredService<EgressPlan>(), sp.GetRequiredService<ResponseRules>(),
            sp.GetRequiredService<AttemptRecorder>(), sp.GetRequiredService<DeliveryTrigger>(),
            sp.GetRequiredService<TimeProvider>(), Logger(sp), sp.GetService<TierOperations>()));
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
                sp.GetRequiredService<DeliveryOptions>().Retry.MaxQueueLifetime + TimeSpan.FromDays(1),
                new LocalOperatorActions(sp.GetRequiredService<ISpoolOperations>(), sp.GetRequiredService<IDeliveryQueue>(), sp.GetRequiredService<AttemptRecorder>()), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Delivery.Tier")));
            services.AddSingleton(sp => new TierMover(
                sp.GetRequiredService<IRetryTier>(), sp.GetRequiredService<ISpoolOperations>(), sp.GetRequiredService<IDeliveryQueue>(), sp.GetRequiredService<RetryTierOptions>(),
                sp.GetRequiredService<RetryTierMetrics>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IHostApplicationLifetime>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Delivery.Tier")));
            services.AddSingleton(sp => new TierOperations(sp.GetRequiredService<IRetryTier>(), sp.GetRequiredService<TierMover>(), sp.GetRequiredService<ClusterTimings>(), sp.GetRequiredService<TimeProvider>()));
            services.AddHostedService(sp => sp.GetRequiredService<TierMover>());
            services.AddHostedService(sp => sp.GetRequiredService<TierConsumer>());
        }
        services.AddHostedService<DeliveryScheduler>();
        services.AddSingleton(sp => new ClusterShaping(
            sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<QueueOperations>(), sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>().Name, sp.GetRequiredService<ClusterTimings>(), sp.GetRequiredService<TimeProvider>(), Logger(sp, "Shaping")));
        services.AddHostedService(sp => sp.GetRequiredService<ClusterShaping>());
        return services;
    }

    /// <summary>This room's logger, under <c>MailCluster.Delivery</c> or one of its parts.</summary>
    private static ILogger Logger(IServiceProvider services, string? part = null) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger(part is null ? "MailCluster.Delivery" : $"MailCluster.Delivery.{part}");

    private static DsnOptions DsnOptionsOf(DeliveryOptions options) =>
        new() { ReportingMta = options.HeloName, PostmasterAddress = options.PostmasterAddress, MaxReturnedContent = options.Dsn.MaxReturnedContent };

    /// <summary>The directory's active domains feed the per-domain gauges (connections, backing off).</summary>
    private static DomainActorDirectory ObservedDirectory(DeliveryRuntime runtime)
    {
        var directory = new DomainActorDirectory(runtime);
        runtime.Metrics.ObserveDomains(() =>
        {
            var now = runtime.Time.GetUtcNow();
            return directory.Active.Select(a => a.Snapshot).Select(s => (s.Domain, s.Connections, s.IsBackingOff(now)));
        });
        return directory;
    }

    /// <summary>Recipients a crashed run left claimed are retried; the MX may have had some: count them as possible duplicates.</summary>
    private sealed class PossibleDuplicatesCounter(DeliveryMetrics metrics) : IAbandonedClaimsListener
    {
        public void ClaimsVoided(int recipients) => metrics.PossibleDuplicate(recipients);
    }
}
