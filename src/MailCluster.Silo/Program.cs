using System.Security.Cryptography.X509Certificates;
using MailCluster.Delivery;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Retry;
using MailCluster.Delivery.Shaping;
using MailCluster.Dns;
using MailCluster.Dns.Mx;
using MailCluster.Mime.Dsn;
using MailCluster.Mime.Headers;
using MailCluster.Silo;
using MailCluster.Silo.Http;
using MailCluster.Silo.Http.Admin;
using MailCluster.Silo.Ingress;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Server;
using MailCluster.Spool;
using MailCluster.Spool.Sqlite;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

// Settings come from appsettings.json beside the binary, then environment (MAILCLUSTER_ prefix not needed:
// Smtp__Listen), then the command line (--Smtp:Listen=...).
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddSiloOptions();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(Random.Shared);
builder.Services.AddSpool();
builder.Services.AddIngress();
builder.Services.AddDelivery();
builder.Services.AddSiloHttp();
// Shaping rules may live in their own JSON file (deploy/shaping/), re-read by the admin API's reload.
if (builder.Configuration["ShapingFile"] is { Length: > 0 } shapingFile)
{
    builder.Configuration.AddJsonFile(Path.GetFullPath(shapingFile), optional: false, reloadOnChange: false);
}
var adminOptions = builder.Configuration.GetSection(AdminEndpoints.Section).Get<AdminOptions>() ?? new AdminOptions();
builder.WebHost.UseKestrel((context, kestrel) =>
{
    var ingress = context.Configuration.GetSection("Smtp").Get<IngressOptions>() ?? new IngressOptions();
    foreach (var endpoint in ingress.ListenEndPoints())
    {
        kestrel.Listen(endpoint, listen => listen.UseConnectionHandler<SmtpConnectionHandler>());
    }
    kestrel.ListenSiloHttp(context.Configuration);
    kestrel.ListenAdmin(adminOptions);
});

builder.Services.Configure<HostOptions>(host =>
    host.ShutdownTimeout = builder.Configuration.GetSection("Smtp").Get<IngressOptions>()?.DrainTimeout ?? TimeSpan.FromSeconds(30));

var app = builder.Build();
// SIGTERM: sessions between transactions get 421 now, the others when their transaction ends.
app.Lifetime.ApplicationStopping.Register(app.Services.GetRequiredService<SessionHeartbeat>().DrainAll);
app.MapSiloHttp();
app.MapAdmin(adminOptions);
await app.Services.LogSpoolStateAsync();
app.Services.GetRequiredService<SpoolStatisticsSampler>();
await app.StartAsync();
var ingressOptions = app.Services.GetRequiredService<IOptions<IngressOptions>>().Value;
Log.Listening(app.Logger, ingressOptions.Listen, ingressOptions.TlsCertificatePath is null ? "off" : "on");
await app.WaitForShutdownAsync();
await app.DisposeAsync();

/// <summary>The silo's wiring, one Add method per room.</summary>
internal static class SiloServices
{
    public static void AddSiloOptions(this IServiceCollection services)
    {
        services.AddOptions<IngressOptions>().BindConfiguration("Smtp").ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngressOptions>>(new OptionsRules<IngressOptions>(o => o.Validate()));
        services.AddOptions<SmtpServerLimits>().BindConfiguration("Smtp:Limits").ValidateOnStart();
        services.AddSingleton<IValidateOptions<SmtpServerLimits>>(new OptionsRules<SmtpServerLimits>(o => o.Validate()));
        services.AddOptions<AdminOptions>().BindConfiguration(AdminEndpoints.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminOptions>>(new OptionsRules<AdminOptions>(o => o.Validate()));
        services.AddOptions<SpoolOptions>().BindConfiguration("Spool").ValidateOnStart();
        services.AddSingleton<IValidateOptions<SpoolOptions>>(sp =>
            new OptionsRules<SpoolOptions>(o => o.Validate(sp.GetRequiredService<IOptions<SmtpServerLimits>>().Value.MaxMessageSize)));
    }

    public static void AddDelivery(this IServiceCollection services)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration("Delivery").ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeliveryOptions>>(new OptionsRules<DeliveryOptions>(o => o.Validate()));
        services.AddOptions<ShapingOptions>().BindConfiguration("Shaping").ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShapingOptions>>(new OptionsRules<ShapingOptions>(o => o.Validate()));
        services.AddOptions<DnsOptions>().BindConfiguration(DnsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DnsOptions>>(new OptionsRules<DnsOptions>(DnsOptionsValidator.Validate));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<DeliveryOptions>>().Value);

        services.AddSingleton<DeliveryTrigger>();
        services.AddSingleton(new DomainLabel(limit: 50));
        services.AddSingleton<DeliveryMetrics>();
        services.AddSingleton(sp => new RetryPolicy(sp.GetRequiredService<DeliveryOptions>().Retry, sp.GetRequiredService<Random>()));
        services.AddSingleton<MessageIdGenerator>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<DeliveryOptions>();
            return new DsnBuilder(
                new DsnOptions { ReportingMta = options.HeloName, PostmasterAddress = options.PostmasterAddress },
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<MessageIdGenerator>());
        });
        services.AddSingleton<BounceFactory>();
        services.AddSingleton(sp => new DeliveryLog(sp.GetRequiredService<DeliveryOptions>().LogPath, sp.GetRequiredService<DeliveryMetrics>()));
        services.AddSingleton<AttemptRecorder>();
        services.AddSingleton(sp => DnsResolver.CreateMxResolver(
            sp.GetRequiredService<IOptions<DnsOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Random>(),
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton(sp => MxAddressPolicy.FromOptions(sp.GetRequiredService<DeliveryOptions>()));
        // CHUNKING (RFC 3030) when the peer offers it, unless configured off: no dot-stuffing pass over the content.
        services.AddOptions<SmtpClientOptions>()
            .Configure(o => o.UseChunking = true)
            .BindConfiguration("Delivery:Client")
            .PostConfigure<IOptions<DeliveryOptions>>((o, delivery) => o.HeloName = delivery.Value.HeloName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SmtpClientOptions>>(new OptionsRules<SmtpClientOptions>(o => o.Validate()));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<SmtpClientOptions>>().Value);
        services.AddSingleton<IMxConnector, MxConnector>();
        services.AddSingleton(sp => new ShapingRules(sp.GetRequiredService<IOptions<ShapingOptions>>().Value));
        services.AddSingleton<SiteThrottleRegistry>();
        services.AddSingleton(sp => new DeliveryRuntime(
            sp.GetRequiredService<IDeliveryQueue>(),
            sp.GetRequiredService<IMxConnector>(),
            sp.GetRequiredService<ShapingRules>(),
            sp.GetRequiredService<SiteThrottleRegistry>(),
            sp.GetRequiredService<AttemptRecorder>(),
            sp.GetRequiredService<DeliveryOptions>(),
            sp.GetRequiredService<DeliveryMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Delivery")));
        services.AddSingleton(sp =>
        {
            var directory = new DomainActorDirectory(sp.GetRequiredService<DeliveryRuntime>());
            sp.GetRequiredService<DeliveryMetrics>().ObserveDomains(() => directory.Active.Select(a => (a.Domain, a.ActiveConnections, a.IsBackingOff)));
            return directory;
        });
        services.AddSingleton<IDomainPlacement, SingleSiloPlacement>();
        services.AddSingleton<QueueOperations>();
        services.AddHostedService<DeliveryScheduler>();
    }

    public static void AddSpool(this IServiceCollection services)
    {
        services.AddSingleton<SpoolMetrics>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SpoolOptions>>().Value;
            var logger = sp.GetRequiredService<ILogger<SpoolOptions>>();
            Directory.CreateDirectory(options.Path);
            var headroom = new SpoolHeadroom(
                options,
                sp.GetRequiredService<IOptions<SmtpServerLimits>>().Value.MaxMessageSize,
                sp.GetRequiredService<TimeProvider>(),
                DiskSpace.Of,
                refusal => Log.SpoolRoomChanged(logger, refusal ?? "accepting new mail again: free space is above the reserve"));
            sp.GetRequiredService<SpoolMetrics>().ObserveHeadroom(headroom);
            return headroom;
        });
        // One store plays every role; each caller asks for the narrowest.
        services.AddSingleton<ISpoolIntake>(sp => sp.GetRequiredService<ISpool>());
        services.AddSingleton<IDeliveryQueue>(sp => sp.GetRequiredService<ISpool>());
        services.AddSingleton<ISpoolOperations>(sp => sp.GetRequiredService<ISpool>());
        services.AddSingleton<ISpoolStatistics>(sp => sp.GetRequiredService<ISpool>());
        services.AddSingleton<ISpool>(sp => SqliteSpool.Open(
            sp.GetRequiredService<IOptions<SpoolOptions>>().Value,
            sp.GetRequiredService<SpoolMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<SpoolHeadroom>(),
            voided =>
            {
                if (voided > 0)
                {
                    Log.InFlightAtCrash(sp.GetRequiredService<ILogger<SpoolOptions>>(), voided);
                    sp.GetRequiredService<DeliveryMetrics>().PossibleDuplicate(voided);
                }
            }));
        services.AddSingleton<QueueIdGenerator>();
        services.AddSingleton(sp => new SpoolStatisticsSampler(
            sp.GetRequiredService<ISpoolStatistics>(), sp.GetRequiredService<SpoolMetrics>(), sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(5)));
    }

    public static void AddIngress(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<IngressOptions>>().Value;
            return new ConnectionLimiter(options.MaxConnections, options.MaxConnectionsPerClient);
        });
        services.AddSingleton(sp => new RelayPolicy(sp.GetRequiredService<IOptions<IngressOptions>>().Value.TrustedNetworkList()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<IngressOptions>>().Value;
            return new TlsCertificate(options.TlsCertificatePath is { } cert
                ? X509Certificate2.CreateFromPemFile(cert, options.TlsKeyPath)
                : null);
        });
        services.AddSingleton(sp => new IngressMetrics(
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            () => sp.GetRequiredService<ConnectionLimiter>().Current));
        // One heartbeat per silo checks every session's idle time once a second.
        services.AddSingleton(sp => new SessionHeartbeat(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(1)));
        services.AddSingleton<ISmtpSessionHost, SpoolingSessionHost>();
    }

    public static async Task LogSpoolStateAsync(this IServiceProvider services)
    {
        var spool = services.GetRequiredService<ISpool>();
        var counts = await spool.CountAsync(CancellationToken.None);
        var options = services.GetRequiredService<IOptions<SpoolOptions>>().Value;
        var logger = services.GetRequiredService<ILogger<SpoolOptions>>();
        Log.SpoolOpened(logger, Path.GetFullPath(options.Path), counts.Messages, counts.QueuedRecipients, spool.Headroom.FreeBytes, spool.Headroom.Reserve);
    }
}
