using MailCluster.Cluster.Shaping;
using MailCluster.Testing.IO;
using MailCluster.Delivery.Shaping;
using Microsoft.Extensions.Configuration;

namespace MailCluster.Delivery.Tests;

public sealed class ShippedShapingTests
{
    private static ShapingOptions Load()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(RepositoryFiles.Path("deploy/shaping/mailbox-providers.json")).Build();
        return configuration.GetSection("Shaping").Get<ShapingOptions>()!;
    }

    [Fact]
    public void ProviderDefaultsAreValid() => Assert.Empty(Load().Validate());

    [Theory]
    [InlineData("gmail.com", "gmail-smtp-in.l.google.com", "mx:.google.com", 20)]
    [InlineData("customer.test", "aspmx.l.google.com.", "mx:.google.com", 20)]
    [InlineData("hotmail.com", "hotmail-com.olc.protection.outlook.com", "mx:.outlook.com", 10)]
    [InlineData("small.test", "mx.small.test", "small.test", 10)]
    public void DomainsHostedByAProviderGetItsLimits(string domain, string mx, string site, int connections)
    {
        var shaping = new ShapingRules(Load()).Resolve(domain, mx);
        Assert.Equal((site, connections), (shaping.SiteKey, shaping.MaxConnections));
    }
}
