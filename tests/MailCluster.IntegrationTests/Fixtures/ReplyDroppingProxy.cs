using System.Net;
using System.Net.Sockets;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>
/// A TCP proxy on a loopback port of its own in front of one storage service, for processes that
/// the <see cref="LostReplies"/> pipeline policy cannot reach. Armed with <see cref="DropNextReply"/>,
/// it lets the next request through, swallows the reply to it and closes both connections: the
/// service carried the request out, and the caller sees a connection reset instead of an answer.
/// HTTP/1.1 clients send one request at a time on a connection, so the first reply bytes on a
/// connection that sent a request after the arming answer a request the service has received.
/// </summary>
public sealed class ReplyDroppingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _armedAt = long.MaxValue;
    private long _requests;
    private int _armed;
    private int _dropped;

    private ReplyDroppingProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Replies swallowed so far.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    public static ReplyDroppingProxy Start(int targetPort) => new(targetPort);

    /// <summary>The reply to the next request that reaches the service is lost.</summary>
    public void DropNextReply()
    {
        Volatile.Write(ref _armedAt, Interlocked.Read(ref _requests));
        Volatile.Write(ref _armed, 1);
    }

    /// <summary>Takes back an arming that no request used.</summary>
    public void Disarm() => Volatile.Write(ref _armed, 0);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var _ = client;
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return;
        }
        // The number of the last request this connection sent (requests are counted as the first bytes of each one pass).
        long lastRequest = -1;
        var replyPending = false;
        using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var up = PumpAsync(client.GetStream(), server.GetStream(), _ =>
        {
            if (!replyPending)
            {
                replyPending = true;
                lastRequest = Interlocked.Increment(ref _requests);
            }
            return true;
        }, done.Token);
        var down = PumpAsync(server.GetStream(), client.GetStream(), _ =>
        {
            replyPending = false;
            return !Claims(lastRequest);
        }, done.Token);
        await Task.WhenAny(up, down);
        await done.CancelAsync();
        client.Client.Close(0);
        server.Client.Close(0);
        await Task.WhenAll(up, down);
    }

    /// <summary>Whether the reply to request number <paramref name="request"/> is the one to lose (at most one per arming).</summary>
    private bool Claims(long request)
    {
        if (request <= Volatile.Read(ref _armedAt) || Interlocked.CompareExchange(ref _armed, 0, 1) != 1)
        {
            return false;
        }
        Interlocked.Increment(ref _dropped);
        return true;
    }

    /// <summary>Copies until either side closes or <paramref name="forward"/> refuses a chunk (then the connection ends).</summary>
    private static async Task PumpAsync(NetworkStream from, NetworkStream to, Func<int, bool> forward, CancellationToken cancellation)
    {
        var buffer = new byte[16384];
        try
        {
            while (await from.ReadAsync(buffer, cancellation) is var read and > 0)
            {
                if (!forward(read))
                {
                    return;
                }
                await to.WriteAsync(buffer.AsMemory(0, read), cancellation);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side went away, or the relay ended: the connection is over.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
