using System.Diagnostics.Metrics;
using System.Net;
using MailCluster.Dns.Mx;
using MailCluster.Dns.Transport;
using MailCluster.Testing.Dns;

namespace MailCluster.Dns.Tests;

/// <summary>Builds the uncached resolver stack against fake servers on loopback.</summary>
internal static class TestResolvers
{
    /// <summary>Generous by default: a busy CI machine must not turn an answer into a timeout.</summary>
    private static readonly TimeSpan s_answerTimeout = TimeSpan.FromSeconds(5);

    public static DnsOptions Options(params FakeDnsServer[] servers) => Options(s_answerTimeout, servers);

    public static DnsOptions Options(TimeSpan timeout, params FakeDnsServer[] servers)
    {
        var options = new DnsOptions { Timeout = timeout, Attempts = 1 };
        foreach (var server in servers)
        {
            options.Nameservers.Add(server.Address);
        }

        return options;
    }

    public static DnsStubResolver Stub(DnsOptions options)
    {
        var nameservers = options.Nameservers.Select(IPEndPoint.Parse).ToList();
        var exchanger = new DnsExchanger(nameservers, options,
            new UdpDnsTransport(TimeProvider.System), new TcpDnsTransport(TimeProvider.System));
        return new DnsStubResolver(exchanger, options, new DnsMetrics(new Meter("test")), TimeProvider.System);
    }

    public static DnsStubResolver Stub(params FakeDnsServer[] servers) => Stub(Options(servers));

    /// <summary>For tests whose point is a timeout: a short per-attempt deadline.</summary>
    public static DnsStubResolver Stub(TimeSpan timeout, params FakeDnsServer[] servers) => Stub(Options(timeout, servers));
}
