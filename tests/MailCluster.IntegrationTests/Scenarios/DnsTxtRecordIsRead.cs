using MailCluster.Dns.Wire;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Collection(DnsmasqCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DnsTxtRecordIsRead(DnsmasqFixture dnsmasq)
{
    [Fact]
    public async Task SpfText()
    {
        var result = await dnsmasq.Server.Resolver().LookupAsync(new DnsQuestion("txt.test", DnsRecordType.Txt), CancellationToken.None);

        Assert.Equal("v=spf1 -all", Assert.IsType<TxtRecord>(Assert.Single(result.Records)).Text);
    }
}
