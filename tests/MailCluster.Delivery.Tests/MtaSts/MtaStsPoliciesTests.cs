using MailCluster.Delivery.MtaSts;
using MailCluster.Delivery.Outcomes;
using MailCluster.Dns.Mx;
using MailCluster.Testing.IO;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Delivery.Tests.MtaSts;

public sealed class MtaStsPoliciesTests : IDisposable
{
    private const string Enforce = "version: STSv1\nmode: enforce\nmx: mx.dest.test\nmax_age: 3600\n";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private readonly ScriptedSource _source = new();
    private readonly TestMeterFactory _meters = new();
    private readonly DeliveryMetrics _metrics;

    public MtaStsPoliciesTests()
    {
        _metrics = new DeliveryMetrics(_meters, new DomainLabel(10));
    }

    [Fact]
    public async Task APolicyIsFetchedOnceAndKeptForItsMaxAge()
    {
        var policies = Policies();
        _source.Set("v=STSv1; id=1", Enforce);

        Assert.Equal(MtaStsMode.Enforce, (await policies.ForDomainAsync("dest.test", default))!.Mode);
        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.NotNull(await policies.ForDomainAsync("dest.test", default));
        Assert.Equal(1, _source.Fetches);

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.NotNull(await policies.ForDomainAsync("dest.test", default));
        Assert.Equal(2, _source.Fetches);
    }

    [Fact]
    public async Task ANewIdFetchesTheNewPolicy()
    {
        var policies = Policies();
        _source.Set("v=STSv1; id=1", Enforce);
        await policies.ForDomainAsync("dest.test", default);

        _source.Set("v=STSv1; id=2", Enforce.Replace("enforce", "testing", StringComparison.Ordinal));
        Assert.Equal(MtaStsMode.Testing, (await policies.ForDomainAsync("dest.test", default))!.Mode);
        Assert.Equal(2, _source.Fetches);
    }

    [Fact]
    public async Task AWithdrawnRecordLeavesTheCachedPolicyInForceUntilItExpires()
    {
        var policies = Policies();
        _source.Set("v=STSv1; id=1", Enforce);
        await policies.ForDomainAsync("dest.test", default);

        _source.Set(record: null, Enforce);
        Assert.NotNull(await policies.ForDomainAsync("dest.test", default));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Null(await policies.ForDomainAsync("dest.test", default));
        Assert.Equal(1, _source.Fetches);
    }

    [Fact]
    public async Task AFailedFetchKeepsTheCachedPolicyAndIsNotRepeatedAtOnce()
    {
        var policies = Policies();
        _source.Set("v=STSv1; id=1", Enforce);
        await policies.ForDomainAsync("dest.test", default);

        _source.Set("v=STSv1; id=2", policy: null);
        Assert.Equal(MtaStsMode.Enforce, (await policies.ForDomainAsync("dest.test", default))!.Mode);
        Assert.NotNull(await policies.ForDomainAsync("dest.test", default));
        Assert.Equal(2, _source.Fetches);

        _time.Advance(TimeSpan.FromMinutes(5));
        _source.Set("v=STSv1; id=2", "version: STSv1\nmode: none\nmax_age: 3600\n");
        Assert.Null(await policies.ForDomainAsync("dest.test", default));
        Assert.Equal(3, _source.Fetches);
    }

    [Fact]
    public async Task AnInvalidPolicyCountsAsAFailedFetch()
    {
        var policies = Policies();
        _source.Set("v=STSv1; id=1", "version: STSv1\nmode: enforce\nmax_age: 3600\n");
        Assert.Null(await policies.ForDomainAsync("dest.test", default));
        Assert.Null(await policies.ForDomainAsync("dest.test", default));
        Assert.Equal(1, _source.Fetches);
    }

    [Fact]
    public async Task ConcurrentCallersShareOneFetch()
    {
        var policies = Policies();
        _source.Set("v=STSv1; id=1", Enforce);
        _source.Gate = new TaskCompletionSource();
        var callers = Enumerable.Range(0, 5).Select(_ => policies.ForDomainAsync("dest.test", default)).ToList();
        _source.Gate.SetResult();

        Assert.All(await Task.WhenAll(callers), p => Assert.Equal(MtaStsMode.Enforce, p!.Mode));
        Assert.Equal(1, _source.Fetches);
    }

    [Fact]
    public async Task DisabledLooksNothingUp()
    {
        var policies = Policies(enabled: false);
        _source.Set("v=STSv1; id=1", Enforce);
        Assert.Null(await policies.ForDomainAsync("dest.test", default));
        Assert.Equal(0, _source.Lookups);
    }

    [Fact]
    public async Task PoliciesAndFailuresOfManyDomainsStayWithinTheBoundTheSoonestToLapseGoingFirst()
    {
        var policies = new MtaStsPolicies(_source, new MtaStsOptions { MaxCachedPolicies = 100 }, _metrics, _time, NullLogger.Instance);
        _source.Set("v=STSv1; id=1", Enforce);
        for (var i = 0; i < 150; i++)
        {
            await policies.ForDomainAsync($"d{i}.test", default);
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(100, policies.CachedPolicies);
        // The newest are kept: asking again fetches nothing.
        await policies.ForDomainAsync("d149.test", default);
        Assert.Equal(150, _source.Fetches);

        _source.Set("v=STSv1; id=1", policy: null);
        for (var i = 0; i < 150; i++)
        {
            await policies.ForDomainAsync($"f{i}.test", default);
        }
        Assert.Equal(100, policies.FailedDomains);
    }

    private MtaStsPolicies Policies(bool enabled = true) =>
        new(_source, new MtaStsOptions { Enabled = enabled }, _metrics, _time, NullLogger.Instance);

    public void Dispose()
    {
        _metrics.Dispose();
        _meters.Dispose();
    }

    /// <summary>The TXT record and policy a domain publishes now; a null policy fails the fetch.</summary>
    private sealed class ScriptedSource : IMtaStsSource
    {
        private string? _record;
        private string? _policy;

        public int Lookups { get; private set; }

        public int Fetches { get; private set; }

        public TaskCompletionSource? Gate { get; set; }

        public void Set(string? record, string? policy) => (_record, _policy) = (record, policy);

        public Task<TextRecords> LookupRecordAsync(string domain, CancellationToken cancellationToken)
        {
            Lookups++;
            return Task.FromResult(new TextRecords(_record is null ? [] : [_record], false, "scripted"));
        }

        public async Task<string> FetchPolicyAsync(string domain, CancellationToken cancellationToken)
        {
            Fetches++;
            if (Gate is not null)
            {
                await Gate.Task;
            }
            return _policy ?? throw new MtaStsFetchException("https://mta-sts.dest.test/.well-known/mta-sts.txt answered 404 Not Found");
        }
    }
}
