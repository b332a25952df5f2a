using System.Net;
using System.Net.Sockets;
using MailCluster.Dns;
using MailCluster.Dns.Mx;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Collection(DnsmasqCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DnsSilentNameserverFallsThroughToTheNext(DnsmasqFixture dnsmasq)
{
    [Fact]
    public async Task TimeoutThenNextAnswers()
    {
        // A bound UDP socket that never replies stands in for a dead nameserver.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var options = Dnsmasq.Options(silent.LocalEndPoint!.ToString()!, dnsmasq.Server.Address);

        var resolution = await DnsResolver.CreateMxResolver(options, TimeProvider.System, new Random(1)).ResolveAsync("one.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.Resolved, resolution.Kind);
        Assert.True(silent.Available > 0, "the silent nameserver was never asked");
    }

    [Fact]
    public async Task OnlySilentNameserversIsATemporaryFailure()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        var resolution = await DnsResolver.CreateMxResolver(Dnsmasq.Options(silent.LocalEndPoint!.ToString()!), TimeProvider.System, new Random(1))
            .ResolveAsync("one.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.TemporaryFailure, resolution.Kind);
    }
}
