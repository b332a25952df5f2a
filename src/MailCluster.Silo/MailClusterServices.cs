using MailCluster.Events;
using MailCluster.Delivery.Shaping;
using MailCluster.Cluster;
using MailCluster.Delivery;
using MailCluster.Silo.Http;
using MailCluster.Silo.Ingress;
using MailCluster.Spool;

namespace MailCluster.Silo;

/// <summary>
/// The whole silo in one call: each room binds and validates its own sections and registers its
/// loops. Registration order is start order, and the host stops them in reverse: delivery first
/// (its outcomes recorded and logged), then the Orleans silo, the spool's sampler, then the
/// ingress (after Kestrel drained the sessions). The cluster room reads its settings once and
/// says which mode the silo runs in; delivery wires itself for that mode.
/// </summary>
internal static class MailClusterServices
{
    public static WebApplicationBuilder AddMailCluster(this WebApplicationBuilder builder)
    {
        // Shaping and response rules may live in their own JSON files (deploy/), re-read by the admin API's reload.
        foreach (var key in RulesFiles.Keys)
        {
            if (builder.Configuration[key] is { Length: > 0 } file)
            {
                builder.Configuration.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
            }
        }
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(Random.Shared);
        builder.Services.AddIngress(builder.Configuration);
        builder.Services.AddSpool(builder.Configuration);
        var mode = builder.AddCluster();
        builder.Services.AddDelivery(builder.Configuration, mode);
        builder.Services.AddEvents(builder.Configuration, sp => sp.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>().Name);
        builder.Services.AddSiloHttp(builder.Configuration);
        builder.WebHost.UseKestrel((context, kestrel) =>
        {
            kestrel.ListenSmtp(context.Configuration);
            kestrel.ListenSiloHttp(context.Configuration);
        });
        return builder;
    }
}
