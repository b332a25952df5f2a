using System.Security.Cryptography.X509Certificates;
using MailCluster.Silo;
using MailCluster.Silo.Http;
using MailCluster.Silo.Ingress;
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
builder.Services.AddSiloHttp();
builder.WebHost.UseKestrel((context, kestrel) =>
{
    var ingress = context.Configuration.GetSection("Smtp").Get<IngressOptions>() ?? new IngressOptions();
    foreach (var endpoint in ingress.ListenEndPoints())
    {
        kestrel.Listen(endpoint, listen => listen.UseConnectionHandler<SmtpConnectionHandler>());
    }
    kestrel.ListenSiloHttp(context.Configuration);
});

var app = builder.Build();
app.MapSiloHttp();
await app.Services.LogSpoolStateAsync();
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
        services.AddOptions<SpoolOptions>().BindConfiguration("Spool").ValidateOnStart();
        services.AddSingleton<IValidateOptions<SpoolOptions>>(new OptionsRules<SpoolOptions>(o => o.Validate()));
    }

    public static void AddSpool(this IServiceCollection services)
    {
        services.AddSingleton<SpoolMetrics>();
        services.AddSingleton<ISpool>(sp => SqliteSpool.Open(
            sp.GetRequiredService<IOptions<SpoolOptions>>().Value,
            sp.GetRequiredService<SpoolMetrics>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<QueueIdGenerator>();
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
        services.AddSingleton(sp => new IdleTimeoutHeartbeat(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(1)));
        services.AddSingleton<ISmtpSessionHost, SpoolingSessionHost>();
    }

    public static async Task LogSpoolStateAsync(this IServiceProvider services)
    {
        var spool = services.GetRequiredService<ISpool>();
        var counts = await spool.CountAsync(CancellationToken.None);
        var options = services.GetRequiredService<IOptions<SpoolOptions>>().Value;
        Log.SpoolOpened(services.GetRequiredService<ILogger<SpoolOptions>>(), Path.GetFullPath(options.Path), counts.Messages, counts.QueuedRecipients);
    }
}
