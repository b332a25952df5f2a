using MailCluster.Dns.Mx;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Collection(DnsmasqCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DnsNullMxFailsPermanently(DnsmasqFixture dnsmasq)
{
    [Fact]
    public async Task NullMxIs5110()
    {
        var resolution = await dnsmasq.Server.MxResolver().ResolveAsync("nullmx.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.NullMx, resolution.Kind);
        Assert.Contains("null MX", resolution.Reason);
    }
}
