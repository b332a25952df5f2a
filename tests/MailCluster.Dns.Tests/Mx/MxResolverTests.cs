using System.Net;
using MailCluster.Dns.Mx;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Tests.Mx;

public sealed class MxResolverTests
{
    /// <summary>One zone for the policy table: each domain shows one rule of RFC 5321 5.1 / RFC 7505.</summary>
    private static ScriptedResolver Zone() => new ScriptedResolver()
        .OnRecords("two.test", DnsRecordType.Mx, Mx("two.test", 20, "backup.two.test"), Mx("two.test", 10, "primary.two.test"))
        .OnHost("primary.two.test", "192.0.2.10")
        .OnHost("backup.two.test", "192.0.2.20")
        .OnHost("implicit.test", "192.0.2.30")
        .OnRecords("null.test", DnsRecordType.Mx, Mx("null.test", 0, ""))
        .On("nx.test", DnsRecordType.Mx, ScriptedResolver.Status(DnsLookupStatus.NameError))
        .On("servfail.test", DnsRecordType.Mx, ScriptedResolver.Status(DnsLookupStatus.ServerFailure))
        .On("refused.test", DnsRecordType.Mx, ScriptedResolver.Status(DnsLookupStatus.Refused))
        .On("slow.test", DnsRecordType.Mx, ScriptedResolver.Status(DnsLookupStatus.Timeout))
        .On("loop.test", DnsRecordType.Mx, ScriptedResolver.Status(DnsLookupStatus.CnameError))
        .OnRecords("literal.test", DnsRecordType.Mx, Mx("literal.test", 10, "192.0.2.1"), Mx("literal.test", 20, "gone.literal.test"))
        .On("gone.literal.test", DnsRecordType.A, ScriptedResolver.Status(DnsLookupStatus.NameError))
        .On("gone.literal.test", DnsRecordType.Aaaa, ScriptedResolver.Status(DnsLookupStatus.NameError))
        .OnRecords("skip.test", DnsRecordType.Mx, Mx("skip.test", 10, "192.0.2.1"), Mx("skip.test", 20, "dead.skip.test"), Mx("skip.test", 30, "alive.skip.test"))
        .OnHost("alive.skip.test", "192.0.2.40")
        .OnRecords("flaky.test", DnsRecordType.Mx, Mx("flaky.test", 10, "mx.flaky.test"))
        .On("mx.flaky.test", DnsRecordType.A, ScriptedResolver.Status(DnsLookupStatus.Timeout))
        .OnRecords("v6.test", DnsRecordType.Mx, Mx("v6.test", 10, "mx.v6.test"))
        .OnRecords("mx.v6.test", DnsRecordType.Aaaa, new AaaaRecord("mx.v6.test", 300, IPAddress.Parse("2001:db8::25")))
        .OnRecords("mixednull.test", DnsRecordType.Mx, Mx("mixednull.test", 0, ""), Mx("mixednull.test", 10, "primary.two.test"));

    [Theory]
    [InlineData("two.test", MxResolutionKind.Resolved, "primary.two.test(10) backup.two.test(20)")]
    [InlineData("Two.Test.", MxResolutionKind.Resolved, "primary.two.test(10) backup.two.test(20)")]
    [InlineData("implicit.test", MxResolutionKind.Resolved, "implicit.test(0)")]
    [InlineData("null.test", MxResolutionKind.NullMx, "")]
    [InlineData("nx.test", MxResolutionKind.NoSuchDomain, "")]
    [InlineData("servfail.test", MxResolutionKind.TemporaryFailure, "")]
    [InlineData("refused.test", MxResolutionKind.TemporaryFailure, "")]
    [InlineData("slow.test", MxResolutionKind.TemporaryFailure, "")]
    [InlineData("loop.test", MxResolutionKind.TemporaryFailure, "")]
    [InlineData("literal.test", MxResolutionKind.NoMailHosts, "")]
    [InlineData("skip.test", MxResolutionKind.Resolved, "alive.skip.test(30)")]
    [InlineData("flaky.test", MxResolutionKind.TemporaryFailure, "")]
    [InlineData("v6.test", MxResolutionKind.Resolved, "mx.v6.test(10)")]
    [InlineData("mixednull.test", MxResolutionKind.Resolved, "primary.two.test(10)")]
    [InlineData("nothing.test", MxResolutionKind.NoMailHosts, "")]
    [InlineData("bad..name", MxResolutionKind.NoSuchDomain, "")]
    [InlineData(".", MxResolutionKind.NoSuchDomain, "")]
    public async Task PolicyTable(string domain, MxResolutionKind kind, string hosts)
    {
        var resolution = await new MxResolver(Zone(), new DnsOptions(), new Random(1)).ResolveAsync(domain, CancellationToken.None);

        Assert.Equal(kind, resolution.Kind);
        Assert.Equal(hosts, string.Join(' ', resolution.Hosts.Select(h => $"{h.Name}({h.Preference})")));
        Assert.False(string.IsNullOrWhiteSpace(resolution.Reason));
        Assert.Equal(kind == MxResolutionKind.TemporaryFailure, resolution.IsTemporaryFailure);
        Assert.Equal(kind is not (MxResolutionKind.Resolved or MxResolutionKind.TemporaryFailure), resolution.IsPermanentFailure);
    }

    [Fact]
    public async Task HostsCarryTheirAddressesAndTheImplicitMark()
    {
        var zone = Zone().OnRecords("implicit.test", DnsRecordType.Aaaa, new AaaaRecord("implicit.test", 300, IPAddress.Parse("2001:db8::30")));

        var resolution = await new MxResolver(zone, new DnsOptions(), new Random(1)).ResolveAsync("implicit.test", CancellationToken.None);

        var host = Assert.Single(resolution.Hosts);
        Assert.True(host.IsImplicit);
        Assert.Equal(["192.0.2.30", "2001:db8::30"], host.Addresses.Select(a => a.ToString()));
    }

    [Fact]
    public async Task ReasonsNameTheDomainForLogsAndDsns()
    {
        var resolver = new MxResolver(Zone(), new DnsOptions(), new Random(1));

        Assert.Contains("null.test publishes a null MX", (await resolver.ResolveAsync("null.test", CancellationToken.None)).Reason);
        Assert.Contains("192.0.2.1 is an IP literal", (await resolver.ResolveAsync("literal.test", CancellationToken.None)).Reason);
        Assert.Contains("scripted ServerFailure", (await resolver.ResolveAsync("servfail.test", CancellationToken.None)).Reason);
    }

    [Fact]
    public async Task EqualPreferencesAreShuffledByTheInjectedRandom()
    {
        var zone = new ScriptedResolver()
            .OnRecords("eq.test", DnsRecordType.Mx, Mx("eq.test", 10, "a.eq.test"), Mx("eq.test", 10, "b.eq.test"), Mx("eq.test", 10, "c.eq.test"), Mx("eq.test", 5, "first.eq.test"))
            .OnHost("a.eq.test", "192.0.2.1").OnHost("b.eq.test", "192.0.2.2").OnHost("c.eq.test", "192.0.2.3").OnHost("first.eq.test", "192.0.2.4");

        var orders = new HashSet<string>();
        for (var seed = 0; seed < 20; seed++)
        {
            var resolution = await new MxResolver(zone, new DnsOptions(), new Random(seed)).ResolveAsync("eq.test", CancellationToken.None);
            Assert.Equal("first.eq.test", resolution.Hosts[0].Name);
            orders.Add(string.Join(',', resolution.Hosts.Skip(1).Select(h => h.Name)));
        }

        Assert.True(orders.Count > 1, "equal-preference hosts always came out in one order");
        var again = await new MxResolver(zone, new DnsOptions(), new Random(3)).ResolveAsync("eq.test", CancellationToken.None);
        var first = await new MxResolver(zone, new DnsOptions(), new Random(3)).ResolveAsync("eq.test", CancellationToken.None);
        Assert.Equal(first.Hosts.Select(h => h.Name), again.Hosts.Select(h => h.Name));
    }

    [Fact]
    public async Task TwoHundredMxRecordsAreCappedAtMaxMxHosts()
    {
        var zone = new ScriptedResolver().OnRecords("big.test", DnsRecordType.Mx,
            [.. Enumerable.Range(0, 200).Select(i => Mx("big.test", (ushort)i, $"mx{i}.big.test"))]);
        for (var i = 0; i < 200; i++)
        {
            zone.OnHost($"mx{i}.big.test", "192.0.2.1");
        }

        var resolution = await new MxResolver(zone, new DnsOptions { MaxMxHosts = 10 }, new Random(1)).ResolveAsync("big.test", CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"mx{i}.big.test"), resolution.Hosts.Select(h => h.Name));
        Assert.Equal(1 + (2 * 10), zone.Asked.Count);
    }

    private static MxRecord Mx(string name, ushort preference, string exchange) => new(name, 300, preference, exchange);
}
