using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Transport;

/// <summary>UDP exchange (RFC 1035 4.2.1) on a fresh socket per query.</summary>
internal sealed class UdpDnsTransport(TimeProvider timeProvider) : DnsTransport(timeProvider)
{
    private const int MaxDatagramSize = 65_535;

    protected override async Task<DnsMessage?> ExchangeCoreAsync(DnsQuery query, IPEndPoint server, CancellationToken cancellationToken)
    {
        // RFC 5452 9.2: an unpredictable source port per query; binding port 0 lets the kernel pick
        // a random ephemeral port.
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var any = server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        socket.Bind(new IPEndPoint(any, 0));
        await socket.SendToAsync(query.Packet, SocketFlags.None, server, cancellationToken);

        var buffer = ArrayPool<byte>.Shared.Rent(MaxDatagramSize);
        try
        {
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(any, 0), cancellationToken);

                // RFC 5452 9.1: only a reply from the address and port we asked is considered; a
                // mismatch is dropped and the wait goes on until the deadline.
                if (server.Equals(received.RemoteEndPoint)
                    && query.TryAccept(buffer.AsSpan(0, received.ReceivedBytes), out var response))
                {
                    return response;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
