using System.Diagnostics.Metrics;
using System.Net;
using MailCluster.Dns.Mx;
using MailCluster.Dns.Transport;
using MailCluster.Testing.Dns;

namespace MailCluster.Dns.Tests;

/// <summary>Builds the uncached resolver stack against fake servers on loopback.</summary>
internal static class TestResolvers
{
    public static DnsOptions Options(params FakeDnsServer[] servers)
    {
        var options = new DnsOptions { Timeout = TimeSpan.FromMilliseconds(300), Attempts = 1 };
        foreach (var server in servers)
        {
            options.Nameservers.Add(server.Address);
        }

        return options;
    }

    public static DnsStubResolver Stub(DnsOptions options, int seed = 1)
    {
        var nameservers = options.Nameservers.Select(IPEndPoint.Parse).ToList();
        var exchanger = new DnsExchanger(nameservers, options, new DnsRandom(new Random(seed)),
            new UdpDnsTransport(TimeProvider.System), new TcpDnsTransport(TimeProvider.System));
        return new DnsStubResolver(exchanger, options, new DnsMetrics(new Meter("test")), TimeProvider.System);
    }

    public static DnsStubResolver Stub(params FakeDnsServer[] servers) => Stub(Options(servers));
}
