using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailCluster.Events.Sinks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailCluster.Events.Tests;

/// <summary>A real HTTPS receiver on loopback (Kestrel): records each POST's headers and body, and answers as the test says.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>The status to answer, or null to never answer.</summary>
    public int? Status { get; set; } = 200;

    public List<(string? Timestamp, string? Signature, byte[] Body)> Posts { get; } = [];

    public Uri Url { get; private set; } = null!;

    public static async Task<WebhookReceiver> StartAsync(X509Certificate2 certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/events", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            if (receiver.Status is not { } status)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
                return;
            }
            lock (receiver.Posts)
            {
                receiver.Posts.Add((context.Request.Headers[WebhookSignature.TimestampHeader], context.Request.Headers[WebhookSignature.SignatureHeader], body.ToArray()));
            }
            context.Response.StatusCode = status;
        });
        app.MapPost("/moved", (HttpContext context) => Results.Redirect("/events", permanent: true, preserveMethod: true));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Url = new Uri(new Uri(address.Replace("127.0.0.1", "localhost", StringComparison.Ordinal)), "/events");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
