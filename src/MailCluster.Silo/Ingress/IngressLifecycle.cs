using MailCluster.Hosting;
using MailCluster.Smtp.Server;
using Microsoft.Extensions.Options;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// The ingress's part in the host's life: the heartbeat that times out idle sessions once a second
/// (RFC 5321 4.5.3.2.7), the log line once the listeners are bound, and the drain at SIGTERM
/// (sessions between transactions get 421 now, the others when their transaction ends).
/// </summary>
internal sealed partial class IngressLifecycle(
    SessionHeartbeat heartbeat, IngressOptions options, IOptions<SmtpServerLimits> limits, DrainDeadline drain, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<IngressLifecycle> logger)
    : IHostedService, IDisposable
{
    private static readonly TimeSpan s_heartbeatPeriod = TimeSpan.FromSeconds(1);

    private ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        RemoveAbandonedContent(limits.Value.SpillDirectory);
        _timer = time.CreateTimer(_ => heartbeat.OnHeartbeat(), null, s_heartbeatPeriod, s_heartbeatPeriod);
        lifetime.ApplicationStarted.Register(() => Listening(logger, options.Listen, options.TlsCertificatePath is null ? "off" : "on"));
        // Before Kestrel waits for connections to close: it stops first, and waits up to Smtp:DrainTimeout.
        lifetime.ApplicationStopping.Register(heartbeat.DrainAll);
        lifetime.ApplicationStopping.Register(drain.Start);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Content files of transactions a crash cut short: none of them was acknowledged, so none is kept.</summary>
    private void RemoveAbandonedContent(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        foreach (var file in Directory.EnumerateFiles(directory, "*.eml"))
        {
            File.Delete(file);
            AbandonedContentRemoved(logger, file);
        }
    }

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(1903, LogLevel.Information, "Removed {File}, the content of a transaction cut short by a crash (never acknowledged)")]
    private static partial void AbandonedContentRemoved(ILogger logger, string file);

    [LoggerMessage(1901, LogLevel.Information, "SMTP listening on {Endpoints}; STARTTLS {Tls}")]
    private static partial void Listening(ILogger logger, string endpoints, string tls);
}
