using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailCluster.Hosting;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailCluster.Silo.Ingress;

/// <summary>Kestrel's entry for an SMTP connection: applies the connection limits, then runs one session over the socket's pipes.</summary>
internal sealed partial class SmtpConnectionHandler : ConnectionHandler
{
    private readonly ISmtpSessionHost _host;
    private readonly ConnectionLimiter _limiter;
    private readonly IngressOptions _options;
    private readonly SmtpServerLimits _limits;
    private readonly X509Certificate2? _certificate;
    private readonly SessionHeartbeat _heartbeat;
    private readonly IngressMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<SmtpConnectionHandler> _logger;
    private readonly Http.SiloReadiness _readiness;
    private readonly RelayPolicy _relay;

    public SmtpConnectionHandler(
        ISmtpSessionHost host,
        ConnectionLimiter limiter,
        RelayPolicy relay,
        IOptions<IngressOptions> options,
        IOptions<SmtpServerLimits> limits,
        TlsCertificate certificate,
        SessionHeartbeat heartbeat,
        IngressMetrics metrics,
        TimeProvider time,
        Http.SiloReadiness readiness,
        ILogger<SmtpConnectionHandler> logger)
    {
        _readiness = readiness;
        _host = host;
        _limiter = limiter;
        _relay = relay;
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
        var kind = connection.Items.TryGetValue(SmtpListener.KindItem, out var listener) ? (SmtpListenerKind)listener! : SmtpListenerKind.Relay;
        if (_readiness.IsDraining)
        {
            await RefuseAsync(connection, kind, SmtpReplies.ShuttingDown);
            return;
        }
        if (!_limiter.TryAcquire(remote.Address, trusted: _relay.IsTrusted(remote.Address), out var lease))
        {
            _metrics.ConnectionRejected();
            await RefuseAsync(connection, kind, SmtpReplies.TooManyConnections);
            return;
        }
        using (lease)
        {
            _metrics.ConnectionOpened();
            var smtp = new SmtpPipeConnection(connection.Transport, _certificate);
            await using (smtp)
            {
                var info = new SmtpSessionInfo(remote, (IPEndPoint)connection.LocalEndPoint!, _options.ServerName)
                {
                    IsSubmission = kind != SmtpListenerKind.Relay,
                    ImplicitTls = kind == SmtpListenerKind.ImplicitTls,
                    Authenticated = lease.ExemptFromClientLimit,
                };
                var session = new SmtpServerSession(smtp, _host, info, _limits, _heartbeat, _time);
                try
                {
                    await session.RunAsync(connection.ConnectionClosed);
                    if (info.TlsProtocol is not null)
                    {
                        _metrics.TlsSession();
                    }
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

internal sealed partial class SmtpConnectionHandler
{
    private int _refusalHandshakes;

    // RFC 5321 3.1: a server that will not serve answers 421 at once instead of the greeting; on an
    // implicit TLS listener (RFC 8314 3.3) inside TLS, where the client expects every byte. Those
    // handshakes hold no connection slot, so they are bounded apart: in number and in time.
    private async Task RefuseAsync(ConnectionContext connection, SmtpListenerKind kind, SmtpReply reply)
    {
        if (kind != SmtpListenerKind.ImplicitTls)
        {
            reply.WriteTo(connection.Transport.Output);
            await connection.Transport.Output.FlushAsync();
            return;
        }
        if (Interlocked.Increment(ref _refusalHandshakes) > _options.MaxRefusalHandshakes)
        {
            Interlocked.Decrement(ref _refusalHandshakes);
            Log.RefusedWithoutHandshake(_logger, (IPEndPoint)connection.RemoteEndPoint!);
            return;
        }
        try
        {
            await using var smtp = new SmtpPipeConnection(connection.Transport, _certificate);
            using var timeout = new Deadline(_options.RefusalHandshakeTimeout, _time, connection.ConnectionClosed);
            await smtp.UpgradeToTlsAsync(timeout.Token);
            reply.WriteTo(smtp.Output);
            await smtp.Output.FlushAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            Log.SessionAborted(_logger, (IPEndPoint)connection.RemoteEndPoint!, exception.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _refusalHandshakes);
        }
    }
}

/// <summary>The STARTTLS certificate, loaded once at startup (null when STARTTLS is not offered).</summary>
internal sealed record TlsCertificate(X509Certificate2? Value);

/// <summary>Which listener a connection came in on: relay (port 25), submission with STARTTLS (587), submission with implicit TLS (465).</summary>
internal enum SmtpListenerKind
{
    Relay,
    Submission,
    ImplicitTls,
}

/// <summary>The connection item that carries the listener's kind from Kestrel's middleware to the handler.</summary>
internal static class SmtpListener
{
    public const string KindItem = "mailcluster.smtp.listener-kind";
}
