using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace MailCluster.Dns.Transport;

/// <summary>Parses "ip", "ip:port" and "[v6]:port" nameserver entries; host names are refused.</summary>
internal static class NameserverAddress
{
    private const int DnsPort = 53;

    public static bool TryParse(string text, [NotNullWhen(true)] out IPEndPoint? endpoint)
    {
        // "[v6]:port" and "v4:port" carry a port; a bare IPv6 address has several colons and none.
        var hasPort = text.Contains("]:", StringComparison.Ordinal) || text.Count(c => c == ':') == 1;
        if (!IPEndPoint.TryParse(text, out endpoint) || (hasPort && endpoint.Port == 0))
        {
            endpoint = null;
            return false;
        }

        if (!hasPort)
        {
            endpoint.Port = DnsPort;
        }

        return true;
    }
}
