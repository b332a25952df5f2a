using System.Net;
using System.Net.Sockets;

namespace MailCluster.Testing.IO;

/// <summary>
/// Free TCP ports on 127.0.0.1 for test servers, taken in turn from 20000-31999 and checked by
/// binding: below Linux's ephemeral range (32768-60999), so the many outgoing connections a test
/// run makes (to Azurite, sinks, silos) cannot take a port between its check and the server's bind,
/// as they could a port found by binding port 0.
/// </summary>
public static class LoopbackPorts
{
    private const int First = 20000;
    private const int Count = 12000;

    private static int s_next = Random.Shared.Next(Count);

    public static int Next()
    {
        for (var tries = 0; tries < Count; tries++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref s_next) % Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: the next one.
            }
        }
        throw new InvalidOperationException($"no free loopback port in {First}-{First + Count - 1}");
    }
}
