using MailCluster.Dns.Mx;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Collection(DnsmasqCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DnsMxDomainResolvesToItsHost(DnsmasqFixture dnsmasq)
{
    [Fact]
    public async Task Resolves()
    {
        var resolution = await dnsmasq.Server.MxResolver().ResolveAsync("one.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.Resolved, resolution.Kind);
        var host = Assert.Single(resolution.Hosts);
        Assert.Equal(("mail.one.test", (ushort)10, "127.0.0.10"), (host.Name, host.Preference, Assert.Single(host.Addresses).ToString()));
    }
}
