using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailCluster.Silo.Ingress;

/// <summary>Kestrel's entry for an SMTP connection: applies the connection limits, then runs one session over the socket's pipes.</summary>
internal sealed class SmtpConnectionHandler : ConnectionHandler
{
    private readonly ISmtpSessionHost _host;
    private readonly ConnectionLimiter _limiter;
    private readonly IngressOptions _options;
    private readonly SmtpServerLimits _limits;
    private readonly X509Certificate2? _certificate;
    private readonly IdleTimeoutHeartbeat _heartbeat;
    private readonly IngressMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<SmtpConnectionHandler> _logger;

    public SmtpConnectionHandler(
        ISmtpSessionHost host,
        ConnectionLimiter limiter,
        IOptions<IngressOptions> options,
        IOptions<SmtpServerLimits> limits,
        TlsCertificate certificate,
        IdleTimeoutHeartbeat heartbeat,
        IngressMetrics metrics,
        TimeProvider time,
        ILogger<SmtpConnectionHandler> logger)
    {
        _host = host;
        _limiter = limiter;
        _options = options.Value;
        _limits = limits.Value;
        _certificate = certificate.Value;
        _heartbeat = heartbeat;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = (IPEndPoint)connection.RemoteEndPoint!;
        if (!_limiter.TryAcquire(remote.Address, out var lease))
        {
            _metrics.ConnectionRejected();
            SmtpReplies.TooManyConnections.WriteTo(connection.Transport.Output);
            await connection.Transport.Output.FlushAsync();
            return;
        }
        using (lease)
        {
            _metrics.ConnectionOpened();
            var smtp = new SmtpPipeConnection(connection.Transport, _certificate);
            await using (smtp)
            {
                var info = new SmtpSessionInfo(remote, (IPEndPoint)connection.LocalEndPoint!, _options.ServerName);
                var session = new SmtpServerSession(smtp, _host, info, _limits, _heartbeat, _time);
                try
                {
                    await session.RunAsync(connection.ConnectionClosed);
                }
                catch (Exception exception) when (exception is IOException or OperationCanceledException or ConnectionResetException
                    or System.Security.Authentication.AuthenticationException)
                {
                    // The peer went away or the TLS handshake failed: nothing was acknowledged for an open transaction.
                    Log.SessionAborted(_logger, remote, exception.Message);
                }
            }
        }
    }
}

/// <summary>The STARTTLS certificate, loaded once at startup (null when STARTTLS is not offered).</summary>
internal sealed record TlsCertificate(X509Certificate2? Value);
