using MailCluster.Silo.Http.Metrics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace MailCluster.Silo.Http;

/// <summary>The silo's HTTP side: its options, its Kestrel listener and its endpoints.</summary>
internal static class HttpEndpoints
{
    private const string Section = "Http";

    public static void AddSiloHttp(this IServiceCollection services)
    {
        services.AddOptions<HttpOptions>().BindConfiguration(Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HttpOptions>>(new OptionsRules<HttpOptions>(o => o.Validate()));
        services.AddSingleton<MeterCollector>();
        services.AddSingleton<PrometheusExporter>();
        services.AddSingleton<SiloReadiness>();
    }

    /// <summary>Listens for HTTP/1.1 (all Prometheus needs) on <c>Http:Listen</c>, apart from the SMTP ports.</summary>
    public static void ListenSiloHttp(this KestrelServerOptions kestrel, IConfiguration configuration)
    {
        // Validation runs later, at start; an unparsable value must not fail here first with a bare FormatException.
        var options = configuration.GetSection(Section).Get<HttpOptions>() ?? new HttpOptions();
        if (!options.Validate().Any())
        {
            kestrel.Listen(options.ListenEndPoint(), listen => listen.Protocols = HttpProtocols.Http1);
        }
    }

    public static void MapSiloHttp(this WebApplication app)
    {
        var readiness = app.Services.GetRequiredService<SiloReadiness>();
        app.Lifetime.ApplicationStarted.Register(readiness.MarkListening);
        app.Lifetime.ApplicationStopping.Register(readiness.MarkDraining);
        // The collector listens from now on, so that nothing recorded after startup is missed.
        var exporter = app.Services.GetRequiredService<PrometheusExporter>();

        app.MapGet("/metrics", () => Results.Text(exporter.Scrape(), PrometheusText.ContentType));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => readiness.NotReadyReason() is { } reason
            ? Results.Text(reason + "\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ready\n"));
    }
}
