using MailCluster.Smtp.Server;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// The ingress's part in the host's life: the heartbeat that times out idle sessions once a second
/// (RFC 5321 4.5.3.2.7), the log line once the listeners are bound, and the drain at SIGTERM
/// (sessions between transactions get 421 now, the others when their transaction ends).
/// </summary>
internal sealed partial class IngressLifecycle(SessionHeartbeat heartbeat, IngressOptions options, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<IngressLifecycle> logger)
    : IHostedService, IDisposable
{
    private static readonly TimeSpan HeartbeatPeriod = TimeSpan.FromSeconds(1);

    private ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = time.CreateTimer(_ => heartbeat.OnHeartbeat(), null, HeartbeatPeriod, HeartbeatPeriod);
        lifetime.ApplicationStarted.Register(() => Listening(logger, options.Listen, options.TlsCertificatePath is null ? "off" : "on"));
        // Before Kestrel waits for connections to close: it stops first, and waits up to Smtp:DrainTimeout.
        lifetime.ApplicationStopping.Register(heartbeat.DrainAll);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(1901, LogLevel.Information, "SMTP listening on {Endpoints}; STARTTLS {Tls}")]
    private static partial void Listening(ILogger logger, string endpoints, string tls);
}
