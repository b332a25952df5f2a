using MailCluster.Cluster;
using MailCluster.Delivery;
using MailCluster.Silo.Http;
using MailCluster.Silo.Ingress;
using MailCluster.Spool;

// Settings come from appsettings.json beside the binary, then the environment (Smtp__Listen), then
// the command line (--Smtp:Listen=...). Each room binds and validates its own sections.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
// Shaping rules may live in their own JSON file (deploy/shaping/), re-read by the admin API's reload.
if (builder.Configuration["ShapingFile"] is { Length: > 0 } shapingFile)
{
    builder.Configuration.AddJsonFile(Path.GetFullPath(shapingFile), optional: false, reloadOnChange: false);
}
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(Random.Shared);
// Registration order is start order; the host stops them in reverse: delivery first (its outcomes
// recorded and logged), then the Orleans silo, the spool's sampler, then the ingress (after Kestrel drained sessions).
builder.Services.AddIngress(builder.Configuration);
builder.Services.AddSpool(builder.Configuration);
// Every silo is an Orleans silo (section Cluster): alone on localhost by default, or one of many. It
// starts before delivery, whose actors take their limits from the site grains, and stops after it.
builder.AddCluster();
builder.Services.AddDelivery(builder.Configuration);
builder.Services.AddSiloHttp(builder.Configuration);
builder.WebHost.UseKestrel((context, kestrel) =>
{
    kestrel.ListenSmtp(context.Configuration);
    kestrel.ListenSiloHttp(context.Configuration);
});

await using var app = builder.Build();
app.MapSiloHttp();
try
{
    await app.StartAsync();
}
catch (Exception)
{
    // The host has logged why ("Hosting failed to start": a bad key, a port in use, storage down),
    // exit 1, not an unhandled-exception abort.
    return 1;
}
await app.WaitForShutdownAsync();
return 0;
