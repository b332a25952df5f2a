using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace MailCluster.Testing.Dns;

/// <summary>
/// A scripted DNS server on 127.0.0.1 with one ephemeral port for both UDP and TCP. The script sees
/// each query and returns the packets to send: none (silence), one, or several (spoofs first).
/// </summary>
public sealed class FakeDnsServer : IAsyncDisposable
{
    private readonly Func<FakeDnsQuery, IEnumerable<FakeDnsReply>> _script;
    private readonly Socket _udp;
    private readonly Socket _spoofer;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<FakeDnsQuery> _queries = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;

    private FakeDnsServer(Socket udp, TcpListener tcp, Func<FakeDnsQuery, IEnumerable<FakeDnsReply>> script)
    {
        _udp = udp;
        _tcp = tcp;
        _script = script;
        _spoofer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _spoofer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)udp.LocalEndPoint!;
        _udpLoop = ServeUdpAsync();
        _tcpLoop = ServeTcpAsync();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>"127.0.0.1:port", the form DnsOptions.Nameservers takes.</summary>
    public string Address => EndPoint.ToString();

    public IReadOnlyCollection<FakeDnsQuery> Queries => _queries;

    public static FakeDnsServer Start(Func<FakeDnsQuery, IEnumerable<FakeDnsReply>> script)
    {
        for (var attempt = 0; ; attempt++)
        {
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var tcp = new TcpListener(IPAddress.Loopback, ((IPEndPoint)udp.LocalEndPoint!).Port);
            try
            {
                tcp.Start();
                return new FakeDnsServer(udp, tcp, script);
            }
            catch (SocketException) when (attempt < 20)
            {
                udp.Dispose();
            }
        }
    }

    /// <summary>A server that answers every query with the same builder-made reply.</summary>
    public static FakeDnsServer Answering(Func<FakeDnsQuery, DnsPacketBuilder> reply) =>
        Start(query => [reply(query).Build()]);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _udp.Dispose();
        _spoofer.Dispose();
        _tcp.Stop();
        await Task.WhenAll(_udpLoop, _tcpLoop).ContinueWith(_ => { }, TaskScheduler.Default);
        _stopping.Dispose();
    }

    private async Task ServeUdpAsync()
    {
        var buffer = new byte[65_535];
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stopping.Token);
                var client = (IPEndPoint)received.RemoteEndPoint;
                foreach (var reply in Answer(buffer.AsSpan(0, received.ReceivedBytes), overTcp: false, client))
                {
                    await (reply.FromOtherPort ? _spoofer : _udp).SendToAsync(reply.Packet, SocketFlags.None, client, _stopping.Token);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }
    }

    private async Task ServeTcpAsync()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var connection = await _tcp.AcceptTcpClientAsync(_stopping.Token);
                _ = ServeConnectionAsync(connection);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }
    }

    private async Task ServeConnectionAsync(TcpClient connection)
    {
        using (connection)
        {
            try
            {
                var stream = connection.GetStream();
                var prefix = new byte[2];
                await stream.ReadExactlyAsync(prefix, _stopping.Token);
                var packet = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                await stream.ReadExactlyAsync(packet, _stopping.Token);
                foreach (var reply in Answer(packet, overTcp: true, (IPEndPoint)connection.Client.RemoteEndPoint!))
                {
                    // RFC 7766 8: each message is preceded by its two-octet length.
                    await stream.WriteAsync(DnsPacketBuilder.U16((ushort)reply.Packet.Length), _stopping.Token);
                    await stream.WriteAsync(reply.Packet, _stopping.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // client went away or server stopped
            }
        }
    }

    private List<FakeDnsReply> Answer(ReadOnlySpan<byte> packet, bool overTcp, IPEndPoint client)
    {
        var query = FakeDnsQuery.Parse(packet, overTcp, client);
        _queries.Enqueue(query);
        return [.. _script(query)];
    }
}
