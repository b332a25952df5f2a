using System.Net;
using System.Net.Sockets;
using MailCluster.Delivery.Outcomes;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Egress.Sources;

/// <summary>A TCP connection to an MX address from a source, or the result that ends the attempt at that host.</summary>
internal readonly record struct Dialed(Socket? Socket, ConnectResult? Failed);

/// <summary>
/// Opens TCP connections to MX addresses from an egress source: bound to the source's address, or
/// through its SOCKS5 proxy. A source that cannot send at all (its address not on this host, its
/// proxy down) is logged and counted, and its result says so (<see cref="ConnectResult.SourceFailed"/>),
/// so the actor backs that source off instead of trying every host from it.
/// </summary>
internal sealed class SourceDialer(DeliveryOptions options, DeliveryMetrics metrics, TimeProvider time, ILogger logger)
{
    /// <summary>The connected socket, or why not; throws what a direct connect throws (refused, timed out): that host will not do.</summary>
    public async Task<Dialed> DialAsync(EgressSource source, IPAddress address, string name, CancellationToken cancellationToken)
    {
        if (source.Socks5 is { } proxy)
        {
            return await ThroughProxyAsync(source, proxy, address, name, cancellationToken);
        }
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (BindSource(socket, source) is { } unbindable)
            {
                socket.Dispose();
                return new Dialed(null, unbindable);
            }
            using var timeout = new CancellationTokenSource(options.ConnectTimeout, time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            await socket.ConnectAsync(new IPEndPoint(address, options.SmtpPort), either.Token);
            return new Dialed(socket, null);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Binds the socket to the source's address (port chosen by the system); null when bound, or
    /// when the source has no address of its own. A source whose address this host cannot bind (not
    /// configured here) fails for every host alike.
    /// </summary>
    private ConnectResult? BindSource(Socket socket, EgressSource source)
    {
        if (source.Address is not { } local || source.Socks5 is not null)
        {
            return null;
        }
        string reason;
        try
        {
            socket.Bind(new IPEndPoint(local, 0));
            return null;
        }
        catch (SocketException exception)
        {
            reason = $"source {source.Name} cannot bind {local}: {exception.Message}";
        }
        Log.SourceFailed(logger, source.Name, "bind", reason);
        metrics.SourceFailed(source.Name, "bind");
        return new ConnectResult(null, DeliveryOutcomeClassifier.ConnectionFailed(reason), SourceFailed: true);
    }

    /// <summary>
    /// A connection to the MX through the source's SOCKS5 proxy (RFC 1928), which sends from the
    /// source's address: the socket, or why none. A proxy that cannot be reached or misbehaves
    /// fails the source for every host alike; a proxy that cannot reach this host (REP 3-6) fails
    /// the host only.
    /// </summary>
    private async Task<Dialed> ThroughProxyAsync(
        EgressSource source, DnsEndPoint proxy, IPAddress address, string name, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        string reason;
        try
        {
            await socket.ConnectAsync(proxy, either.Token);
            await Socks5Handshake.ConnectAsync(new NetworkStream(socket, ownsSocket: false), address, options.SmtpPort, either.Token);
            return new Dialed(socket, null);
        }
        catch (Socks5Exception refused) when (refused.TargetUnreachable)
        {
            socket.Dispose();
            return new Dialed(null, new ConnectResult(null, DeliveryOutcomeClassifier.ConnectionFailed($"{name} via source {source.Name}: {refused.Message}")));
        }
        catch (Exception exception) when (exception is SocketException or Socks5Exception or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            reason = exception is OperationCanceledException
                ? $"source {source.Name}: its SOCKS5 proxy {proxy.Host}:{proxy.Port} did not connect within {options.ConnectTimeout.TotalSeconds:0}s"
                : $"source {source.Name}: its SOCKS5 proxy {proxy.Host}:{proxy.Port} failed: {exception.Message}";
        }
        catch
        {
            // Shutdown, or anything unforeseen: the caller sees the exception, the socket is not left open.
            socket.Dispose();
            throw;
        }
        Log.SourceFailed(logger, source.Name, "proxy", reason);
        metrics.SourceFailed(source.Name, "proxy");
        return new Dialed(null, new ConnectResult(null, DeliveryOutcomeClassifier.ConnectionFailed(reason), SourceFailed: true));
    }
}
