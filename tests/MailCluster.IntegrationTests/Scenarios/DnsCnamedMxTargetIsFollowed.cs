using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Collection(DnsmasqCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DnsCnamedMxTargetIsFollowed(DnsmasqFixture dnsmasq)
{
    [Fact]
    public async Task AliasTargetResolves()
    {
        var resolution = await dnsmasq.Server.MxResolver().ResolveAsync("cname.test", CancellationToken.None);

        var host = Assert.Single(resolution.Hosts);
        Assert.Equal(("alias.cname.test", "127.0.0.14"), (host.Name, Assert.Single(host.Addresses).ToString()));
    }
}
