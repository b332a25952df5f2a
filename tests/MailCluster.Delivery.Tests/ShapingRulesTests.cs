using MailCluster.Delivery.Shaping;

namespace MailCluster.Delivery.Tests;

public sealed class ShapingRulesTests
{
    private static readonly ShapingRules s_rules = new(new ShapingOptions
    {
        Rules =
        [
            new ShapingRule { Match = "gmail.com", MaxConnections = 20, MessageRate = "1000/min" },
            new ShapingRule { Match = "*.example.com", MaxConnections = 3 },
            new ShapingRule { Match = "*.eu.example.com", MaxConnections = 1 },
            new ShapingRule { Match = "mx:.outlook.com", MaxConnections = 5, ConnectionRate = "30/min", Tls = TlsPolicy.Require },
        ],
    });

    [Fact]
    public void UnknownDomainGetsTheDefaults()
    {
        var shaping = s_rules.Resolve("small.test", "mx.small.test");
        Assert.Equal(new DomainShaping("small.test", 10, 100, 100, null, null, TlsPolicy.Opportunistic, TimeSpan.FromMinutes(1)), shaping);
    }

    [Fact]
    public void ExactRuleWinsAndKeepsUnsetFieldsFromTheDefault()
    {
        var shaping = s_rules.Resolve("gmail.com", "gmail-smtp-in.l.google.com");
        Assert.Equal((20, 100, ThrottleSpec.Parse("1000/min")), (shaping.MaxConnections, shaping.MaxMessagesPerConnection, shaping.MessageRate));
        Assert.Equal("gmail.com", shaping.SiteKey);
    }

    [Theory]
    [InlineData("a.example.com", 3)]
    [InlineData("x.eu.example.com", 1)]
    [InlineData("example.com", 10)]
    public void LongestWildcardMatchesSubdomainsOnly(string domain, int connections)
    {
        Assert.Equal(connections, s_rules.Resolve(domain, null).MaxConnections);
    }

    [Fact]
    public void DomainsHostedByOneProviderShareTheMxSuffixSite()
    {
        var contoso = s_rules.Resolve("contoso.test", "contoso-test.mail.protection.outlook.com.");
        var fabrikam = s_rules.Resolve("fabrikam.test", "fabrikam-test.mail.protection.outlook.com");
        Assert.Equal("mx:.outlook.com", contoso.SiteKey);
        Assert.Equal(contoso with { }, fabrikam);
        Assert.Equal(TlsPolicy.Require, contoso.Tls);
    }

    [Fact]
    public void SharedSiteHasOneSetOfConnectionSlots()
    {
        var registry = new SiteThrottleRegistry(TimeProvider.System);
        var a = registry.For("contoso.test", s_rules.Resolve("contoso.test", "x.outlook.com"));
        var b = registry.For("fabrikam.test", s_rules.Resolve("fabrikam.test", "y.outlook.com"));
        Assert.Same(a, b);
        var leases = Enumerable.Range(0, 5).Select(_ => a.TryAcquireConnection(out var lease) ? lease : throw new InvalidOperationException()).ToList();
        Assert.False(b.TryAcquireConnection(out _));
        leases[0].Dispose();
        Assert.True(b.TryAcquireConnection(out _));
        Assert.NotSame(registry.For("small.test", s_rules.Resolve("small.test", null)), registry.For("small.test", s_rules.Resolve("small.test", null)));
    }

    [Fact]
    public void InvalidRulesAreNamed()
    {
        var options = new ShapingOptions { Rules = [new ShapingRule { Match = "", MaxConnections = 0, MessageRate = "lots" }] };
        Assert.Equal(
            [
                "Shaping:Rules:0:Match is empty; use a domain, *.domain or mx:.suffix",
                "Shaping:Rules:0:MaxConnections is 0; must be at least 1",
                "Shaping:Rules:0:MessageRate is 'lots'; expected e.g. 100/min, 10/s, 5000/hour",
            ],
            options.Validate());
    }
}
