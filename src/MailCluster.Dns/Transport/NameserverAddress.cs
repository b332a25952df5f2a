using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace MailCluster.Dns.Transport;

/// <summary>Parses "ip", "ip:port" and "[v6]:port" nameserver entries; host names are refused.</summary>
internal static class NameserverAddress
{
    private const int DnsPort = 53;

    public static bool TryParse(string text, [NotNullWhen(true)] out IPEndPoint? endpoint)
    {
        if (IPAddress.TryParse(text, out var address))
        {
            endpoint = new IPEndPoint(address, DnsPort);
            return true;
        }

        if (IPEndPoint.TryParse(text, out endpoint) && endpoint.Port != 0)
        {
            return true;
        }

        endpoint = null;
        return false;
    }
}
