using System.Diagnostics.Metrics;
using MailCluster.Dns.Caching;
using MailCluster.Dns.Mx;
using MailCluster.Dns.Wire;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Dns.Tests.Caching;

public sealed class CachingDnsResolverTests
{
    private static readonly DnsQuestion s_question = new("mx.test", DnsRecordType.A);
    private readonly FakeTimeProvider _clock = new();
    private readonly DnsOptions _options = new();

    [Fact]
    public async Task PositiveAnswerIsServedUntilItsTtlExpires()
    {
        var inner = new ScriptedResolver().OnRecords("mx.test", DnsRecordType.A, new ARecord("mx.test", 300, System.Net.IPAddress.Loopback));
        var resolver = Create(inner);

        await resolver.LookupAsync(s_question, CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(299));
        await resolver.LookupAsync(s_question, CancellationToken.None);
        Assert.Single(inner.Asked);

        _clock.Advance(TimeSpan.FromSeconds(1));
        await resolver.LookupAsync(s_question, CancellationToken.None);
        Assert.Equal(2, inner.Asked.Count);
    }

    [Theory]
    [InlineData(0, 0, 1)]      // zero TTL with no floor: never cached
    [InlineData(0, 60, 0)]     // zero TTL raised to the floor
    [InlineData(999_999, 0, 0)] // huge TTL capped at MaximumTtl (1 day), still cached
    public async Task TtlIsClampedToTheConfiguredRange(int ttlSeconds, int minimumSeconds, int extraQueries)
    {
        _options.MinimumTtl = TimeSpan.FromSeconds(minimumSeconds);
        var inner = new ScriptedResolver().OnRecords("mx.test", DnsRecordType.A, new ARecord("mx.test", (uint)ttlSeconds, System.Net.IPAddress.Loopback));
        var resolver = Create(inner);

        await resolver.LookupAsync(s_question, CancellationToken.None);
        await resolver.LookupAsync(s_question, CancellationToken.None);

        Assert.Equal(1 + extraQueries, inner.Asked.Count);
    }

    [Fact]
    public async Task TtlAboveTheMaximumExpiresAtTheMaximum()
    {
        var inner = new ScriptedResolver().OnRecords("mx.test", DnsRecordType.A, new ARecord("mx.test", 7 * 86_400, System.Net.IPAddress.Loopback));
        var resolver = Create(inner);

        await resolver.LookupAsync(s_question, CancellationToken.None);
        _clock.Advance(_options.MaximumTtl);
        await resolver.LookupAsync(s_question, CancellationToken.None);

        Assert.Equal(2, inner.Asked.Count);
    }

    [Theory]
    [InlineData(nameof(DnsLookupStatus.NameError))]
    [InlineData(nameof(DnsLookupStatus.NoData))]
    public async Task NegativeAnswerIsCachedForTheSoaMinimum(string name)
    {
        var status = Enum.Parse<DnsLookupStatus>(name);
        var inner = new ScriptedResolver().On("mx.test", DnsRecordType.A, ScriptedResolver.Status(status, ttl: 60));
        var resolver = Create(inner);

        Assert.Equal(status, (await resolver.LookupAsync(s_question, CancellationToken.None)).Status);
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(status, (await resolver.LookupAsync(s_question, CancellationToken.None)).Status);
        Assert.Single(inner.Asked);

        _clock.Advance(TimeSpan.FromSeconds(1));
        await resolver.LookupAsync(s_question, CancellationToken.None);
        Assert.Equal(2, inner.Asked.Count);
    }

    [Fact]
    public async Task NegativeTtlIsCappedByMaximumNegativeTtl()
    {
        _options.MaximumNegativeTtl = TimeSpan.FromMinutes(5);
        var inner = new ScriptedResolver().On("mx.test", DnsRecordType.A, ScriptedResolver.Status(DnsLookupStatus.NameError, ttl: 86_400));
        var resolver = Create(inner);

        await resolver.LookupAsync(s_question, CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(5));
        await resolver.LookupAsync(s_question, CancellationToken.None);

        Assert.Equal(2, inner.Asked.Count);
    }

    [Theory]
    [InlineData(nameof(DnsLookupStatus.ServerFailure))]
    [InlineData(nameof(DnsLookupStatus.Timeout))]
    [InlineData(nameof(DnsLookupStatus.NoData))] // no SOA: RFC 2308 5 says do not cache
    public async Task FailuresAndNegativesWithoutSoaAreNotCached(string name)
    {
        var status = Enum.Parse<DnsLookupStatus>(name);
        var inner = new ScriptedResolver().On("mx.test", DnsRecordType.A, ScriptedResolver.Status(status));
        var resolver = Create(inner);

        await resolver.LookupAsync(s_question, CancellationToken.None);
        await resolver.LookupAsync(s_question, CancellationToken.None);

        Assert.Equal(2, inner.Asked.Count);
    }

    [Fact]
    public async Task ConcurrentLookupsOfOneQuestionShareOneQuery()
    {
        var gate = new TaskCompletionSource<DnsLookupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var inner = new ScriptedResolver().On("mx.test", DnsRecordType.A, () => gate.Task);
        var resolver = Create(inner);

        var lookups = Enumerable.Range(0, 5).Select(_ => resolver.LookupAsync(s_question, CancellationToken.None).AsTask()).ToList();
        var other = resolver.LookupAsync(new DnsQuestion("mx.test", DnsRecordType.Aaaa), CancellationToken.None);
        gate.SetResult(ScriptedResolver.Status(DnsLookupStatus.Success, ttl: 0));
        var results = await Task.WhenAll(lookups);
        await other;

        Assert.Equal(2, inner.Asked.Count);
        Assert.All(results, r => Assert.Same(results[0], r));
    }

    [Fact]
    public async Task CancelledWaiterDoesNotCancelTheSharedQuery()
    {
        var gate = new TaskCompletionSource<DnsLookupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var inner = new ScriptedResolver().On("mx.test", DnsRecordType.A, () => gate.Task);
        var resolver = Create(inner);
        using var impatient = new CancellationTokenSource();

        var cancelled = resolver.LookupAsync(s_question, impatient.Token).AsTask();
        var patient = resolver.LookupAsync(s_question, CancellationToken.None).AsTask();
        await impatient.CancelAsync();
        gate.SetResult(ScriptedResolver.Status(DnsLookupStatus.NameError, ttl: 60));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(DnsLookupStatus.NameError, (await patient).Status);
        Assert.Single(inner.Asked);
    }

    [Fact]
    public async Task FullCacheMakesRoomOnlyFromExpiredEntries()
    {
        _options.MaxCacheEntries = 1;
        var inner = new ScriptedResolver()
            .OnRecords("a.test", DnsRecordType.A, new ARecord("a.test", 60, System.Net.IPAddress.Loopback))
            .OnRecords("b.test", DnsRecordType.A, new ARecord("b.test", 60, System.Net.IPAddress.Loopback));
        var cache = new DnsCache(_options, _clock);
        var resolver = new CachingDnsResolver(inner, cache, new DnsMetrics(new Meter("test")));

        await resolver.LookupAsync(new DnsQuestion("a.test", DnsRecordType.A), CancellationToken.None);
        await resolver.LookupAsync(new DnsQuestion("b.test", DnsRecordType.A), CancellationToken.None);
        Assert.Equal(1, cache.Count);
        Assert.True(cache.TryGet(new DnsQuestion("a.test", DnsRecordType.A), out _));

        _clock.Advance(TimeSpan.FromSeconds(60));
        await resolver.LookupAsync(new DnsQuestion("b.test", DnsRecordType.A), CancellationToken.None);
        Assert.True(cache.TryGet(new DnsQuestion("b.test", DnsRecordType.A), out _));
    }

    private CachingDnsResolver Create(IDnsResolver inner) =>
        new(inner, new DnsCache(_options, _clock), new DnsMetrics(new Meter("test")));
}
