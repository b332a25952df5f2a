using System.Net;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Egress.Sources;
using Microsoft.Extensions.Configuration;

namespace MailCluster.Delivery.Tests;

/// <summary>The <c>Egress</c> section: what a silo refuses to start with, and the plan it resolves to.</summary>
public sealed class EgressOptionsTests
{
    private static EgressOptions Valid() => new()
    {
        Sources =
        [
            new EgressSourceOptions { Name = "ip1", Address = "127.0.0.51", EhloName = "mta1.example.test" },
            new EgressSourceOptions { Name = "ip2", Address = "::1" },
            new EgressSourceOptions { Name = "far", Address = "192.0.2.7", Socks5 = "127.0.0.1:1080" },
        ],
        Pools =
        [
            new EgressPoolOptions { Name = "bulk", Sources = [new() { Name = "ip1", Weight = 1 }, new() { Name = "far", Weight = 3 }] },
            new EgressPoolOptions { Name = "transactional", Sources = [new() { Name = "ip2" }] },
        ],
        DefaultPool = "bulk",
    };

    [Fact]
    public void AValidSectionResolvesToItsSourcesAndPools()
    {
        Assert.Empty(Valid().Validate());
        var plan = EgressPlan.From(Valid(), "silo.test");
        Assert.Equal("bulk", plan.DefaultPool.Name);
        Assert.Equal([("ip1", 1), ("far", 3)], plan.DefaultPool.Members.Select(m => (m.Source.Name, m.Weight)));
        var ip1 = plan.Sources.Single(s => s.Name == "ip1");
        Assert.Equal((IPAddress.Parse("127.0.0.51"), "mta1.example.test", "dest.test@ip1"), (ip1.Address, ip1.EhloName, ip1.LimitsKey("dest.test")));
        var far = plan.Sources.Single(s => s.Name == "far");
        Assert.Equal(("127.0.0.1", 1080, "silo.test"), (far.Socks5!.Host, far.Socks5.Port, far.EhloName));
        Assert.Equal("ip2", Assert.Single(plan.Pool("TRANSACTIONAL")!.Members).Source.Name);
        Assert.Null(plan.Pool("missing"));
    }

    [Fact]
    public void WithoutSourcesOneImplicitSourceSendsFromTheDefaultAddressUnderTheSitesOwnKey()
    {
        var plan = EgressPlan.From(new EgressOptions(), "silo.test");
        var source = Assert.Single(plan.Sources);
        Assert.Equal((EgressSource.ImplicitName, null, "silo.test", "mx:.google.com"), (source.Name, source.Address, source.EhloName, source.LimitsKey("mx:.google.com")));
        Assert.Same(source, Assert.Single(plan.DefaultPool.Members).Source);
    }

    [Fact]
    public void IngressLearnsEachPoolsConfiguredNameAndThePoolHeader()
    {
        var names = new EgressPoolNames(EgressPlan.From(Valid(), "silo.test"), Valid().PoolHeader);
        var implicitOnly = new EgressPoolNames(EgressPlan.From(new EgressOptions { PoolHeader = "X-Pool" }, "silo.test"), "X-Pool");

        Assert.Equal(("X-MailCluster-Pool", "transactional", "bulk", null), (names.Header, names.Canonical("Transactional"), names.Canonical("BULK"), names.Canonical("default")));
        Assert.Equal(("X-Pool", "default", null), (implicitOnly.Header, implicitOnly.Canonical("DEFAULT"), implicitOnly.Canonical("bulk")));
        Assert.Empty(new EgressOptions { PoolHeader = "X-Pool" }.Validate());
    }

    [Fact]
    public void AWarmUpAndAPoolsOverflowAreReadFromTheConfigurationKeysTheReadmeNames()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Egress:Sources:0:Name"] = "fresh",
            ["Egress:Sources:0:Address"] = "127.0.0.51",
            ["Egress:Sources:0:WarmUp:Start"] = "2026-12-01",
            ["Egress:Sources:0:WarmUp:Days:0:Day"] = "1",
            ["Egress:Sources:0:WarmUp:Days:0:PerDay"] = "100",
            ["Egress:Sources:0:WarmUp:Days:0:PerHour"] = "20",
            ["Egress:Sources:0:WarmUp:Days:1:Day"] = "1",
            ["Egress:Sources:0:WarmUp:Days:1:PerDay"] = "50",
            ["Egress:Sources:0:WarmUp:Days:1:Provider"] = "gmail",
            ["Egress:Pools:0:Name"] = "bulk",
            ["Egress:Pools:0:Overflow"] = "hold",
            ["Egress:Pools:0:Sources:0:Name"] = "fresh",
        }).Build();
        var options = configuration.GetSection(EgressOptions.Section).Get<EgressOptions>()!;

        Assert.Empty(options.Validate());
        var plan = EgressPlan.From(options, "silo.test");
        var schedule = plan.Sources[0].WarmUp!;
        var day1 = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        Assert.Equal((new DateOnly(2026, 12, 1), new WarmUpCap(100, 20), new WarmUpCap(50, null)), (schedule.Start, schedule.CapOn(day1, null), schedule.CapOn(day1, "gmail")));
        Assert.True(plan.DefaultPool.HoldsOverflow);
        Assert.False(EgressPlan.From(Valid(), "silo.test").DefaultPool.HoldsOverflow);
        Assert.Contains("Egress:Sources:0:WarmUp:Days:0:PerHour is 200", new EgressOptions
        {
            Sources = [new EgressSourceOptions { Name = "fresh", Address = "127.0.0.51", WarmUp = new WarmUpOptions { Start = new DateOnly(2026, 12, 1), Days = [new WarmUpStepOptions { Day = 1, PerDay = 100, PerHour = 200 }] } }],
            Pools = [new EgressPoolOptions { Name = "bulk", Sources = [new() { Name = "fresh" }] }],
        }.Validate().Single(), StringComparison.Ordinal);
    }

    private static readonly Dictionary<string, Action<EgressOptions>> s_breaks = new()
    {
        { "Egress:Sources:0:Name 'ip 1' must be 1-64 letters", o => o.Sources[0].Name = "ip 1" },
        // The name rule is the credentials file's too: a line break at the end is no name character either.
        { "Egress:Pools:1:Name 'transactional\n' must be 1-64 letters", o => o.Pools[1].Name = "transactional\n" },
        { "Egress:Sources:1:Name 'IP1' is used by an earlier source", o => o.Sources[1].Name = "IP1" },
        { "Egress:Sources:0:Address '127.0.0.256' is not an IPv4 or IPv6 address", o => o.Sources[0].Address = "127.0.0.256" },
        { "Egress:Sources:0: a source needs an Address to bind, or a Socks5 proxy", o => o.Sources[0].Address = null },
        { "Egress:Sources:2:Socks5 '127.0.0.1' is not host:port", o => o.Sources[2].Socks5 = "127.0.0.1" },
        { "Egress:Sources:2:Socks5 '127.0.0.1:0' is not host:port", o => o.Sources[2].Socks5 = "127.0.0.1:0" },
        { "Egress:Sources:0:EhloName is empty", o => o.Sources[0].EhloName = " " },
        { "Egress:Pools:0:Sources:1:Name 'nowhere' is not a source of Egress:Sources", o => o.Pools[0].Sources[1].Name = "nowhere" },
        { "Egress:Pools:0:Sources:0:Weight is 0; must be between 1 and 1000", o => o.Pools[0].Sources[0].Weight = 0 },
        { "Egress:Pools:0:Sources names a source twice", o => o.Pools[0].Sources[1].Name = "ip1" },
        { "Egress:Pools:1:Sources is empty", o => o.Pools[1].Sources.Clear() },
        { "Egress:Pools:1:Name 'bulk' is used by an earlier pool", o => o.Pools[1].Name = "bulk" },
        { "Egress:DefaultPool 'missing' is not a pool of Egress:Pools", o => o.DefaultPool = "missing" },
        { "Egress:DefaultPool is not set; with several pools it must name one", o => o.DefaultPool = null },
        { "Egress:Pools is empty; sources are used through pools", o => (o.Pools, o.DefaultPool) = ([], null) },
        { "Egress:PoolHeader 'X Pool' is not a header field name (RFC 5322 3.6.8", o => o.PoolHeader = "X Pool" },
        { "Egress:PoolHeader 'X-Pool:' is not a header field name", o => o.PoolHeader = "X-Pool:" },
        { "Egress:PoolHeader '' is not a header field name", o => o.PoolHeader = string.Empty },
        { "Egress:PoolHeader 'from' is a field mail needs", o => o.PoolHeader = "from" },
        { "Egress:PoolHeader 'DKIM-Signature' is a field mail needs", o => o.PoolHeader = "DKIM-Signature" },
    };

    public static TheoryData<string> Broken => [.. s_breaks.Keys];

    [Theory]
    [MemberData(nameof(Broken))]
    public void ABrokenSectionNamesTheKeyAndTheValue(string expected)
    {
        var options = Valid();
        s_breaks[expected](options);
        Assert.Contains(options.Validate(), e => e.StartsWith(expected, StringComparison.Ordinal));
    }
}
