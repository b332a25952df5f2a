using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Collection(DnsmasqCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DnsTwoMxPreferencesComeInOrder(DnsmasqFixture dnsmasq)
{
    [Fact]
    public async Task LowerPreferenceFirst()
    {
        var resolution = await dnsmasq.Server.MxResolver().ResolveAsync("two.test", CancellationToken.None);

        Assert.Equal(["primary.two.test", "backup.two.test"], resolution.Hosts.Select(h => h.Name));
        Assert.Equal(["127.0.0.11", "::11"], resolution.Hosts[0].Addresses.Select(a => a.ToString()));
    }
}
