using System.Net;
using System.Net.Sockets;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Transport;

/// <summary>
/// One query to one nameserver over one transport, bounded by a deadline from the injected clock.
/// Returns null when no acceptable answer arrived in time or the network failed; the caller moves on.
/// </summary>
internal abstract class DnsTransport(TimeProvider timeProvider)
{
    public async Task<DnsMessage?> ExchangeAsync(DnsQuery query, IPEndPoint server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            return await ExchangeCoreAsync(query, server, linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return null;
        }
    }

    protected abstract Task<DnsMessage?> ExchangeCoreAsync(DnsQuery query, IPEndPoint server, CancellationToken cancellationToken);
}
