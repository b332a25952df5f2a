using MailCluster.Cluster;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Sites;
using MailCluster.Testing.IO;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Delivery.Tests.Sites;

/// <summary>The calls to a site's grain, on a stepped clock, against a grain whose answers the test gives.</summary>
public sealed class SiteExchangeTests : IDisposable
{
    // A call may take longer than a period here, so that a renewal can fall due while one is in flight.
    private static readonly ClusterTimings s_timings = new() { SiteCallTimeout = TimeSpan.FromSeconds(5) };
    private static readonly TimeSpan s_period = s_timings.SiteExchangePeriod;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private readonly TestMeterFactory _meters = new();
    private readonly Holder _holder = new();
    private readonly Grain _grain = new();
    private readonly SiteExchange _exchange;

    public SiteExchangeTests() =>
        _exchange = new SiteExchange("dest.test", _holder, _grain, _time, new DeliveryMetrics(_meters, new DomainLabel(10)), NullLogger.Instance, s_timings);

    public void Dispose()
    {
        _exchange.Dispose();
        _meters.Dispose();
    }

    [Fact]
    public async Task RenewsOncePerPeriodOnlyWhileRenewalIsDue()
    {
        _time.Advance(s_period);
        Assert.Empty(_grain.Calls);

        _holder.RenewalDue = true;
        _time.Advance(s_period);
        await AnswerAsync();
        _time.Advance(s_period);
        await AnswerAsync();

        Assert.Equal(2, _grain.Calls.Count);
        Assert.Equal(2, _holder.Grants.Count);
    }

    [Fact]
    public async Task OneCallAtATimeAndWhatWasAskedMeanwhileGoesOutWhenItReturns()
    {
        var sentAt = _time.GetUtcNow();
        _exchange.Soon();
        _time.Advance(TimeSpan.FromMilliseconds(500));
        _exchange.Soon();
        _exchange.Soon();
        Assert.Single(_grain.Calls);

        await AnswerAsync();

        // One follow-up for both asks, sent when the first returned; the grant counts from when its report went out.
        Assert.Equal(2, _grain.Calls.Count);
        Assert.Equal(sentAt, Assert.Single(_holder.Grants).SentAt);
        Assert.Equal(1, _holder.Ended);
    }

    [Fact]
    public async Task APeriodicRenewalDueDuringACallIsNotSentAfterIt()
    {
        _holder.RenewalDue = true;
        _exchange.Soon();
        _time.Advance(s_period);

        await AnswerAsync();

        Assert.Single(_grain.Calls);
    }

    [Fact]
    public async Task AGrainThatDoesNotAnswerInTimeGrantsNothingAndWaitersLookAgain()
    {
        _exchange.Soon();
        var call = _exchange.InFlight;

        _time.Advance(s_timings.SiteCallTimeout);
        await call;

        Assert.True(_grain.Calls[0].Token.IsCancellationRequested);
        Assert.Empty(_holder.Grants);
        Assert.Equal(1, _holder.Ended);
    }

    /// <summary>Answers the call in flight and waits until the exchange has handled the answer.</summary>
    private async Task AnswerAsync()
    {
        var call = _exchange.InFlight;
        _grain.Calls[^1].Reply.TrySetResult(SiteGrantStateTests.Grant());
        await call;
    }

    private sealed class Holder : ISiteGrantHolder
    {
        public bool RenewalDue { get; set; }

        public List<(SiteGrant Grant, DateTimeOffset SentAt)> Grants { get; } = [];

        public int Ended { get; private set; }

        public SiteReport Report(DateTimeOffset now) => new("test-silo", "dest.test", null, Guid.Empty, 0, 1, true, 0, 0, 0, false);

        public void Granted(SiteReport report, SiteGrant grant, DateTimeOffset sentAt, long sentStamp) => Grants.Add((grant, sentAt));

        public void ExchangeEnded() => Ended++;
    }

    /// <summary>Each call waits until the test answers it, or until its token is cancelled.</summary>
    private sealed class Grain : ISiteAuthority
    {
        public List<(TaskCompletionSource<SiteGrant> Reply, CancellationToken Token)> Calls { get; } = [];

        public string SiloName => "test-silo";

        public Task<SiteGrant> ExchangeAsync(string site, SiteReport report, CancellationToken cancellationToken)
        {
            var reply = new TaskCompletionSource<SiteGrant>();
            cancellationToken.Register(() => reply.TrySetCanceled(cancellationToken));
            Calls.Add((reply, cancellationToken));
            return reply.Task;
        }

        public Task<bool> SuspendAsync(string site, string? domain) => throw new NotSupportedException();

        public Task<bool> ResumeAsync(string site, string? domain) => throw new NotSupportedException();

        public Task<SiteView> ViewAsync(string site) => throw new NotSupportedException();
    }
}
