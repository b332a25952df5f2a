using MailCluster.Dns.Mx;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Collection(DnsmasqCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DnsNxdomainFailsPermanently(DnsmasqFixture dnsmasq)
{
    [Fact]
    public async Task NxdomainIs512()
    {
        var resolution = await dnsmasq.Server.MxResolver().ResolveAsync("nx.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.NoSuchDomain, resolution.Kind);
        Assert.Contains("NXDOMAIN", resolution.Reason);
    }
}
