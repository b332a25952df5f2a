using System.Net;
using System.Net.Sockets;

namespace MailCluster.Testing.IO;

/// <summary>Free TCP ports on 127.0.0.1, found by binding port 0 and releasing it.</summary>
public static class LoopbackPorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
