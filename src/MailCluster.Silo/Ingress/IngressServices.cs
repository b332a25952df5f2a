using MailCluster.Events;
using System.Security.Cryptography.X509Certificates;
using MailCluster.Cluster.Submission;
using MailCluster.Hosting;
using MailCluster.Mime.Dkim;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Server;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailCluster.Silo.Ingress;

/// <summary>The SMTP ingress's wiring: its options (sections <c>Smtp</c>, <c>Smtp:Limits</c> and <c>Dkim</c>), its listeners and the sessions' heartbeat.</summary>
internal static class IngressServices
{
    public const string Section = "Smtp";

    public static IServiceCollection AddIngress(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<IngressOptions>(configuration, Section, o => o.Validate());
        services.AddValidatedOptions<SmtpServerLimits>(configuration, "Smtp:Limits", o => o.Validate());
        // SIGTERM: sessions get Smtp:DrainTimeout to finish their transaction before the host stops. Read raw,
        // as the listeners are: the validated options would throw for this one section before start-up
        // validation reports every bad key at once.
        services.Configure<HostOptions>(host =>
            host.ShutdownTimeout = (configuration.GetSection(Section).Get<IngressOptions>() ?? new IngressOptions()).DrainTimeout);
        services.AddSingleton(sp => new DrainDeadline(sp.GetRequiredService<IngressOptions>().DrainTimeout, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IngressOptions>();
            return new ConnectionLimiter(options.MaxConnections, options.MaxConnectionsPerClient, options.ReservedTrustedConnections);
        });
        services.AddSingleton(sp => new RelayPolicy(sp.GetRequiredService<IngressOptions>().TrustedNetworkList()));
        services.AddSingleton(sp => new SubmissionUsers(sp.GetRequiredService<IngressOptions>() is { SubmissionEnabled: true } options ? options.CredentialsFile : null));
        services.AddSingleton(sp => new HourlyCounts(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IngressOptions>();
            return new AuthFailures(options.MaxAuthFailures, options.MaxAuthFailuresPerUser, options.AuthBlockPeriod, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(sp => new AuthCheckGate(sp.GetRequiredService<IngressOptions>().MaxConcurrentAuthChecks));
        services.AddSingleton<Authenticator>();
        // Submission limits across silos, when there is submission to limit.
        if ((configuration.GetSection(Section).Get<IngressOptions>() ?? new IngressOptions()).SubmissionEnabled)
        {
            services.AddHostedService(sp => new ClusterSubmissionLimits(
                sp.GetRequiredService<IGrainFactory>(),
                sp.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>().Name,
                sp.GetRequiredService<HourlyCounts>(),
                sp.GetRequiredService<AuthFailures>(),
                sp.GetRequiredService<MailCluster.Cluster.ClusterTimings>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Silo.Submission")));
        }
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IngressOptions>();
            return new TlsCertificate(options.TlsCertificatePath is { } cert ? X509Certificate2.CreateFromPemFile(cert, options.TlsKeyPath) : null);
        });
        services.AddSingleton(sp => new IngressMetrics(
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            () => sp.GetRequiredService<ConnectionLimiter>().Current));
        services.AddSingleton<SessionHeartbeat>();
        services.AddHostedService<IngressLifecycle>();
        // The session host and its parts: who may send to whom, trace fields, the egress pool, authors and DKIM, the spool commit.
        services.AddSingleton<EnvelopeAdmission>();
        services.AddSingleton<TraceFields>();
        services.AddSingleton<PoolChoice>();
        services.AddSingleton<AuthorshipSigning>();
        // Reception and Suppressed events, when the events room has sinks (its recorder is optional here).
        services.AddSingleton(sp => new IngressEvents(sp.GetService<EventRecorder>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<IngressEvents>>()));
        services.AddSingleton<MessageCommit>();
        // Feedback loops (section Fbl): complaints to these addresses suppress the complainer, never relayed.
        services.AddValidatedOptions<FeedbackLoopOptions>(configuration, FeedbackLoopOptions.Section, o => o.Validate());
        services.AddSingleton(sp => new FeedbackLoop(
            sp.GetRequiredService<FeedbackLoopOptions>(), sp.GetRequiredService<MailCluster.Delivery.Suppression.SuppressionList>(), sp.GetService<EventRecorder>(),
            sp.GetRequiredService<MailCluster.Spool.SpoolDirectory>().Path, sp.GetRequiredService<IngressMetrics>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<FeedbackLoop>>()));
        services.AddSingleton<ISmtpSessionHost, SpoolingSessionHost>();
        return services;
    }

    public static void ListenSmtp(this KestrelServerOptions kestrel, IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<IngressOptions>() ?? new IngressOptions();
        foreach (var endpoint in options.ListenEndPoints())
        {
            kestrel.Listen(endpoint, listen => listen.UseConnectionHandler<SmtpConnectionHandler>());
        }
        foreach (var (endpoints, kind) in new[] { (options.SubmissionEndPoints(), SmtpListenerKind.Submission), (options.ImplicitTlsEndPoints(), SmtpListenerKind.ImplicitTls) })
        {
            foreach (var endpoint in endpoints)
            {
                kestrel.Listen(endpoint, listen => listen
                    .Use(next => connection =>
                    {
                        connection.Items[SmtpListener.KindItem] = kind;
                        return next(connection);
                    })
                    .UseConnectionHandler<SmtpConnectionHandler>());
            }
        }
    }
}
