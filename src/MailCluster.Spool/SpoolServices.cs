using MailCluster.Hosting;
using MailCluster.Smtp.Server;
using MailCluster.Spool.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailCluster.Spool;

/// <summary>
/// Told how many recipients a crashed run left claimed: they are retried, and any the remote MX
/// had already accepted arrive twice. Another room registers one to count those possible duplicates.
/// </summary>
public interface IAbandonedClaimsListener
{
    void ClaimsVoided(int recipients);
}

/// <summary>The spool's directory (<c>Spool:Path</c>), for files of other rooms that belong on the spool's volume (kept feedback reports).</summary>
public sealed record SpoolDirectory(string Path);

/// <summary>The spool room's wiring: its options (section <c>Spool</c>), the embedded store in every role, its room keeping and its sampler.</summary>
public static class SpoolServices
{
    public const string Section = "Spool";

    /// <summary>Needs <see cref="SmtpServerLimits"/> (the reserve holds two of the largest messages) and a <see cref="TimeProvider"/>.</summary>
    public static IServiceCollection AddSpool(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SpoolOptions>(configuration, Section, (o, sp) => o.Validate(sp.GetRequiredService<IOptions<SmtpServerLimits>>().Value.MaxMessageSize));
        // Content too large for memory goes to the spool's own volume as it arrives (not /tmp, often a small tmpfs).
        // Read raw: the spool's validated options need these limits first.
        services.AddOptions<SmtpServerLimits>().PostConfigure(limits =>
        {
            if (limits.SpillDirectory.Length == 0)
            {
                limits.SpillDirectory = Path.Combine((configuration.GetSection(Section).Get<SpoolOptions>() ?? new SpoolOptions()).Path, "incoming");
            }
        });
        services.AddSingleton<SpoolMetrics>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<SpoolOptions>();
            var logger = sp.GetRequiredService<ILogger<SpoolHeadroom>>();
            // The reserve is measured on the spool's own filesystem, so its directory must exist first.
            Directory.CreateDirectory(options.Path);
            var headroom = new SpoolHeadroom(
                options,
                sp.GetRequiredService<IOptions<SmtpServerLimits>>().Value.MaxMessageSize,
                sp.GetRequiredService<TimeProvider>(),
                DiskSpace.Of,
                refusal => Log.RoomChanged(logger, refusal ?? "accepting new mail again: free space is above the reserve"));
            sp.GetRequiredService<SpoolMetrics>().ObserveHeadroom(headroom);
            return headroom;
        });
        // The suppression list's store: a file beside the spool (the cluster room registers a shared one after this in AzureStorage mode).
        // Replaceable: a cluster shares one store instead (the cluster room replaces this one).
        services.TryAddSingleton<ISuppressionStore>(sp => new FileSuppressionStore(Path.Combine(sp.GetRequiredService<SpoolOptions>().Path, FileSuppressionStore.FileName)));
        // One store plays every role; each caller asks for the narrowest.
        services.AddSingleton<ISpool>(sp =>
        {
            var logger = sp.GetRequiredService<ILogger<SqliteSpool>>();
            var listeners = sp.GetServices<IAbandonedClaimsListener>().ToList();
            return SqliteSpool.Open(
                sp.GetRequiredService<SpoolOptions>(),
                sp.GetRequiredService<SpoolMetrics>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<SpoolHeadroom>(),
                voided =>
                {
                    Log.InFlightAtCrash(logger, voided);
                    listeners.ForEach(l => l.ClaimsVoided(voided));
                });
        });
        services.AddSingleton<ISpoolIntake>(sp => sp.GetRequiredService<ISpool>());
        services.AddSingleton<IDeliveryQueue>(sp => sp.GetRequiredService<ISpool>());
        services.AddSingleton<ISpoolOperations>(sp => sp.GetRequiredService<ISpool>());
        services.AddSingleton<ISpoolStatistics>(sp => sp.GetRequiredService<ISpool>());
        services.AddSingleton<IEventJournal>(sp => sp.GetRequiredService<ISpool>());
        services.AddSingleton(sp => (ILocalStateStore)sp.GetRequiredService<ISpool>());
        services.AddSingleton<QueueIdGenerator>();
        services.AddSingleton(sp => new SpoolDirectory(sp.GetRequiredService<SpoolOptions>().Path));
        services.AddHostedService<SpoolStatisticsSampler>();
        return services;
    }
}
