using MailCluster.Dns.Wire;
using MailCluster.Testing.Dns;

namespace MailCluster.Dns.Tests;

public sealed class CnameFollowingTests
{
    [Fact]
    public async Task ChainInOneAnswerIsFollowedAndTtlIsItsMinimum()
    {
        await using var server = FakeDnsServer.Answering(q => DnsPacketBuilder.ReplyTo(q)
            .Cname("alias.test", "middle.test", ttl: 600).Cname("middle.test", "real.test", ttl: 30).A("real.test", "192.0.2.7", ttl: 300));

        var result = await TestResolvers.Stub(server).LookupAsync(new DnsQuestion("alias.test", DnsRecordType.A), CancellationToken.None);

        Assert.Equal(DnsLookupStatus.Success, result.Status);
        Assert.Equal("real.test", Assert.Single(result.Records).Name);
        Assert.Equal(TimeSpan.FromSeconds(30), result.Ttl);
    }

    [Fact]
    public async Task UnchasedCnameIsAskedForAgain()
    {
        await using var server = FakeDnsServer.Answering(q => q.Name == "alias.test"
            ? DnsPacketBuilder.ReplyTo(q).Cname("alias.test", "real.test")
            : DnsPacketBuilder.ReplyTo(q).A("real.test", "192.0.2.7"));

        var result = await TestResolvers.Stub(server).LookupAsync(new DnsQuestion("alias.test", DnsRecordType.A), CancellationToken.None);

        Assert.Equal(DnsLookupStatus.Success, result.Status);
        Assert.Equal(["alias.test", "real.test"], server.Queries.Select(q => q.Name));
    }

    [Fact]
    public async Task CnameLoopIsDetected()
    {
        await using var server = FakeDnsServer.Answering(q => DnsPacketBuilder.ReplyTo(q).Cname("a.test", "b.test").Cname("b.test", "a.test"));

        var result = await TestResolvers.Stub(server).LookupAsync(new DnsQuestion("a.test", DnsRecordType.Mx), CancellationToken.None);

        Assert.Equal(DnsLookupStatus.CnameError, result.Status);
        Assert.Contains("CNAME loop", result.Detail);
    }

    [Fact]
    public async Task LoopAcrossSeparateQueriesIsDetected()
    {
        await using var server = FakeDnsServer.Answering(q => DnsPacketBuilder.ReplyTo(q).Cname(q.Name, q.Name == "a.test" ? "b.test" : "a.test"));

        var result = await TestResolvers.Stub(server).LookupAsync(new DnsQuestion("a.test", DnsRecordType.A), CancellationToken.None);

        Assert.Equal(DnsLookupStatus.CnameError, result.Status);
        Assert.Equal(2, server.Queries.Count);
    }

    [Fact]
    public async Task ChainLongerThanTheLimitIsRefused()
    {
        await using var server = FakeDnsServer.Answering(q =>
        {
            var reply = DnsPacketBuilder.ReplyTo(q);
            for (var i = 0; i < 10; i++)
            {
                reply.Cname($"c{i}.test", $"c{i + 1}.test");
            }

            return reply.A("c10.test", "192.0.2.1");
        });
        var options = TestResolvers.Options(server);
        options.MaxCnameDepth = 8;

        var result = await TestResolvers.Stub(options).LookupAsync(new DnsQuestion("c0.test", DnsRecordType.A), CancellationToken.None);

        Assert.Equal(DnsLookupStatus.CnameError, result.Status);
        Assert.Contains("longer than 8", result.Detail);
    }

    [Fact]
    public async Task NxdomainCarriesTheSoaNegativeTtl()
    {
        await using var server = FakeDnsServer.Answering(q => DnsPacketBuilder.ReplyTo(q).AsResponse(rcode: 3).Soa("test", minimum: 120, ttl: 900));

        var result = await TestResolvers.Stub(server).LookupAsync(new DnsQuestion("nx.test", DnsRecordType.Mx), CancellationToken.None);

        Assert.Equal((DnsLookupStatus.NameError, (TimeSpan?)TimeSpan.FromSeconds(120)), (result.Status, result.Ttl));
    }

    [Fact]
    public async Task NoDataWithoutSoaIsNotCacheable()
    {
        await using var server = FakeDnsServer.Answering(DnsPacketBuilder.ReplyTo);

        var result = await TestResolvers.Stub(server).LookupAsync(new DnsQuestion("empty.test", DnsRecordType.Mx), CancellationToken.None);

        Assert.Equal((DnsLookupStatus.NoData, (TimeSpan?)null), (result.Status, result.Ttl));
    }
}
