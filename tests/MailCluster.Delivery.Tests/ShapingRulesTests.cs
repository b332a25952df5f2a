using MailCluster.Cluster;
using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Shaping;
using MailCluster.Delivery.Sites;
using MailCluster.Testing.IO;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

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
    public void DomainsOfOneSiteShareOneLimiterAndItsConnectionSlots()
    {
        var time = new FakeTimeProvider();
        var authority = new LedgerSiteAuthority(s_rules, time);
        using var meters = new TestMeterFactory();
        var registry = new SiteLimiterRegistry(authority, time, new DeliveryMetrics(meters, new DomainLabel(10)), NullLoggerFactory.Instance, ClusterTimings.Defaults);
        var contoso = s_rules.Resolve("contoso.test", "x.outlook.com");
        var a = registry.Join(contoso.SiteKey, "contoso.test", "x.outlook.com", () => { });
        var b = registry.Join(s_rules.Resolve("fabrikam.test", "y.outlook.com").SiteKey, "fabrikam.test", "y.outlook.com", () => { });
        Assert.Same(a, b);
        a.Want("contoso.test", 5, messages: true);
        b.Want("fabrikam.test", 5, messages: true);
        time.Advance(TimeSpan.FromSeconds(1));
        b.Want("fabrikam.test", 6, messages: true);

        var now = time.GetUtcNow();
        var leases = Enumerable.Range(0, contoso.MaxConnections).Select(i => a.TryAcquireConnection(now, out var lease, out _) ? lease : throw new InvalidOperationException()).ToList();
        Assert.False(b.TryAcquireConnection(now, out _, out _));
        leases[0].Dispose();
        Assert.True(b.TryAcquireConnection(now, out _, out _));
        Assert.NotSame(a, registry.Join(s_rules.Resolve("small.test", null).SiteKey, "small.test", null, () => { }));
    }

    [Fact]
    public void InvalidRulesAreNamed()
    {
        var options = new ShapingOptions { Rules = [new ShapingRule { Match = "", MaxConnections = 0, MessageRate = "lots", SiteMaxConnections = 0, SiteMessageRate = "1/fortnight" }] };
        Assert.Equal(
            [
                "Shaping:Rules:0:Match is empty; use a domain, *.domain or mx:.suffix",
                "Shaping:Rules:0:MaxConnections is 0; must be at least 1",
                "Shaping:Rules:0:SiteMaxConnections is 0; must be at least 1",
                "Shaping:Rules:0:MessageRate is 'lots'; expected e.g. 100/min, 10/s, 5000/hour",
                "Shaping:Rules:0:SiteMessageRate is '1/fortnight'; expected e.g. 100/min, 10/s, 5000/hour",
            ],
            options.Validate());
    }

    [Fact]
    public void ASiteTotalIsTheTotalGrainsOnlyLimitAndEachSourceGrainKeepsTheRule()
    {
        var rules = new ShapingRules(new ShapingOptions
        {
            Rules = [new ShapingRule { Match = "mx:.google.com", MaxConnections = 5, MessageRate = "100/min", ConnectionRate = "10/min", SiteMaxConnections = 12, SiteMessageRate = "250/min" }],
        });
        var perSource = rules.ForGrain("mx:.google.com@ip1", "gmail.com", "gmail-smtp-in.l.google.com");
        Assert.Equal((5, ThrottleSpec.Parse("100/min"), ThrottleSpec.Parse("10/min")), (perSource.MaxConnections, perSource.MessageRate, perSource.ConnectionRate));
        Assert.Equal(new SiteTotal(12, ThrottleSpec.Parse("250/min")), perSource.SiteTotal);
        Assert.Equal("mx:.google.com@*", perSource.SiteTotalKey);

        var total = rules.ForGrain("mx:.google.com@*", "gmail.com", "gmail-smtp-in.l.google.com");
        Assert.Equal((12, ThrottleSpec.Parse("250/min"), (ThrottleSpec?)null, (SiteTotal?)null), (total.MaxConnections, total.MessageRate, total.ConnectionRate, total.SiteTotal));
        // Without totals a rule has no total grain.
        Assert.Null(s_rules.Resolve("gmail.com", null).SiteTotal);
    }
}
