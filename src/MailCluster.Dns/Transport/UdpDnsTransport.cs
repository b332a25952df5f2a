using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Transport;

/// <summary>UDP exchange (RFC 1035 4.2.1) on a fresh socket per query.</summary>
internal sealed class UdpDnsTransport(TimeProvider timeProvider) : DnsTransport(timeProvider)
{
    private const int MaxDatagramSize = 65_535;

    protected override async Task<DnsMessage?> ExchangeCoreAsync(DnsQuery query, IPEndPoint server, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var any = server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        BindRandomPort(socket, any);
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

    /// <summary>
    /// RFC 5452 9.2 / RFC 6056: an unpredictable source port per query, drawn from the
    /// cryptographic generator over the dynamic range; a port in use is drawn again, and after a
    /// few tries the kernel picks one.
    /// </summary>
    private static void BindRandomPort(Socket socket, IPAddress any)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            try
            {
                socket.Bind(new IPEndPoint(any, RandomNumberGenerator.GetInt32(32768, 61000)));
                return;
            }
            catch (SocketException exception) when (exception.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
            }
        }
        socket.Bind(new IPEndPoint(any, 0));
    }
}
