using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Transport;

/// <summary>TCP exchange with the two-octet length prefix of RFC 1035 4.2.2 / RFC 7766 8.</summary>
internal sealed class TcpDnsTransport(TimeProvider timeProvider) : DnsTransport(timeProvider)
{
    protected override async Task<DnsMessage?> ExchangeCoreAsync(DnsQuery query, IPEndPoint server, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);

        var framed = new byte[query.Packet.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Packet.Length);
        query.Packet.CopyTo(framed, 2);
        await stream.WriteAsync(framed, cancellationToken);

        var prefix = new byte[2];
        await stream.ReadExactlyAsync(prefix, cancellationToken);
        var response = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(response, cancellationToken);
        return query.TryAccept(response, out var message) ? message : null;
    }
}
