using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Collection(DnsmasqCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DnsDomainWithoutMxIsItsOwnMailHost(DnsmasqFixture dnsmasq)
{
    [Fact]
    public async Task ImplicitMx()
    {
        var resolution = await dnsmasq.Server.MxResolver().ResolveAsync("implicit.test", CancellationToken.None);

        var host = Assert.Single(resolution.Hosts);
        Assert.Equal(("implicit.test", (ushort)0, true), (host.Name, host.Preference, host.IsImplicit));
    }
}
