using System.Net;

namespace MailCluster.Silo.Http;

/// <summary>The HTTP endpoint for /metrics, /healthz and /readyz, bound from <c>Http</c>; kept apart from the SMTP listeners.</summary>
internal sealed class HttpOptions
{
    /// <summary>
    /// address:port of the HTTP listener. Default <c>127.0.0.1:8025</c>: loopback, because the
    /// endpoint has no authentication; a pod sets its own address for the Prometheus scraper.
    /// </summary>
    public string Listen { get; set; } = "127.0.0.1:8025";

    public IPEndPoint ListenEndPoint() => IPEndPoint.Parse(Listen);

    public IEnumerable<string> Validate(string section = "Http")
    {
        if (!IPEndPoint.TryParse(Listen, out var parsed) || parsed.Port == 0)
        {
            yield return $"{section}:Listen is '{Listen}'; expected one address:port, e.g. 127.0.0.1:8025";
        }
    }
}
