using MailCluster.Hosting;
using MailCluster.Silo.Http.Admin;
using MailCluster.Silo.Http.Metrics;
using Prometheus;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MailCluster.Silo.Http;

/// <summary>The silo's HTTP side: its options, its Kestrel listener and its endpoints.</summary>
internal static class HttpEndpoints
{
    private const string Section = "Http";

    /// <summary>The HTTP side (section <c>Http</c>) and the admin API (section <c>Admin</c>).</summary>
    public static IServiceCollection AddSiloHttp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<HttpOptions>(configuration, Section, o => o.Validate());
        services.AddValidatedOptions<AdminOptions>(configuration, AdminEndpoints.Section, o => o.Validate());
        services.AddSingleton<SiloMetrics>();
        services.AddSingleton<SiloReadiness>();
        return services;
    }

    /// <summary>Listens for HTTP/1.1 (all Prometheus needs) on <c>Http:Listen</c>, apart from the SMTP ports, and for the admin API on its own.</summary>
    public static void ListenSiloHttp(this KestrelServerOptions kestrel, IConfiguration configuration)
    {
        // Validation runs later, at start; an unparsable value must not fail here first with a bare FormatException.
        var options = configuration.GetSection(Section).Get<HttpOptions>() ?? new HttpOptions();
        if (!options.Validate().Any())
        {
            kestrel.Listen(options.ListenEndPoint(), listen => listen.Protocols = HttpProtocols.Http1);
        }
        kestrel.ListenAdmin(configuration.GetSection(AdminEndpoints.Section).Get<AdminOptions>() ?? new AdminOptions());
    }

    public static void MapSiloHttp(this WebApplication app)
    {
        // Raw, not the validated options: a bad Admin section is reported with every other bad key at start.
        app.MapAdmin(app.Configuration.GetSection(AdminEndpoints.Section).Get<AdminOptions>() ?? new AdminOptions());
        var readiness = app.Services.GetRequiredService<SiloReadiness>();
        app.Lifetime.ApplicationStarted.Register(readiness.MarkListening);
        app.Lifetime.ApplicationStopping.Register(readiness.MarkDraining);
        // The bridge listens from now on, so that nothing recorded after startup is missed.
        var metrics = app.Services.GetRequiredService<SiloMetrics>();

        // Text format 0.0.4, or OpenMetrics 1.0.0 when the scraper's Accept header asks for it.
        app.MapMetrics(settings =>
        {
            settings.Registry = metrics.Registry;
            settings.EnableOpenMetrics = true;
        }, "/metrics");
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => readiness.NotReadyReason() is { } reason
            ? Results.Text(reason + "\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ready\n"));
    }
}
