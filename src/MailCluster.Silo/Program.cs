using MailCluster.Silo;
using MailCluster.Silo.Http;

// Settings come from appsettings.json beside the binary, then the environment (Smtp__Listen), then
// the command line (--Smtp:Listen=...). Each room binds and validates its own sections.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddMailCluster();

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
