using System.Diagnostics.Metrics;
using System.Net;
using MailCluster.Dns.Caching;
using MailCluster.Dns.Mx;
using MailCluster.Dns.Transport;

namespace MailCluster.Dns;

/// <summary>Builds the resolver stack: UDP/TCP exchange, CNAME following, cache and coalescing.</summary>
public static class DnsResolver
{
    // resolv.conf(5): with no nameserver lines, the nameserver on the local machine is used.
    private static readonly IPEndPoint s_localNameserver = new(IPAddress.Loopback, 53);

    /// <exception cref="ArgumentException">The options fail <see cref="DnsOptionsValidator"/>.</exception>
    internal static IDnsResolver Create(DnsOptions options, TimeProvider timeProvider, IMeterFactory? meterFactory = null)
    {
        var errors = DnsOptionsValidator.Validate(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(options));
        }

        IEnumerable<string> configured = options.Nameservers.Count > 0 ? options.Nameservers : ResolvConf.ReadNameservers();
        var nameservers = configured
            .Select(text => NameserverAddress.TryParse(text, out var endpoint) ? endpoint : null)
            .OfType<IPEndPoint>()
            .DefaultIfEmpty(s_localNameserver)
            .ToList();

        var metrics = new DnsMetrics(meterFactory?.Create(DnsMetrics.MeterName) ?? new Meter(DnsMetrics.MeterName));
        var exchanger = new DnsExchanger(nameservers, options, new UdpDnsTransport(timeProvider), new TcpDnsTransport(timeProvider));
        var stub = new DnsStubResolver(exchanger, options, metrics, timeProvider);
        return new CachingDnsResolver(stub, new DnsCache(options, timeProvider), metrics);
    }

    public static MxResolver CreateMxResolver(DnsOptions options, TimeProvider timeProvider, Random random, IMeterFactory? meterFactory = null) =>
        new(Create(options, timeProvider, meterFactory), options, random);
}
