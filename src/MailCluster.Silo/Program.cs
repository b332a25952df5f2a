using MailCluster.Silo;
using MailCluster.Silo.Http;
using Microsoft.Extensions.Options;

// Settings come from appsettings.json beside the binary, then the environment (Smtp__Listen), then
// the command line (--Smtp:Listen=...). Each room binds and validates its own sections.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
try
{
    builder.AddMailCluster();
}
catch (OptionsValidationException exception)
{
    // Settings the wiring depends on (Cluster:Mode, its storage) are checked while composing.
    Console.Error.WriteLine($"The silo does not start: {string.Join("; ", exception.Failures)}");
    return 1;
}

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
