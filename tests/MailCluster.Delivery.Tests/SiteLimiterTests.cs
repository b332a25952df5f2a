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

/// <summary>A silo's side of a site's limits over the site rules answered in process, on a stepped clock.</summary>
public sealed class SiteLimiterTests : IDisposable
{
    private readonly SteppingClock _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private readonly TestMeterFactory _meters = new();

    public void Dispose() => _meters.Dispose();

    private (SiteLimiter Limiter, LedgerSiteAuthority Authority) Join(string rate, Action? wake = null)
    {
        var rules = new ShapingRules(new ShapingOptions { Rules = [new ShapingRule { Match = "dest.test", MessageRate = rate }] });
        // The grain runs on another silo: its clock is not this silo's stepped one.
        var authority = new LedgerSiteAuthority(rules, _time.Elsewhere);
        var registry = new SiteLimiterRegistry(authority, _time, new DeliveryMetrics(_meters, new DomainLabel(10)), NullLoggerFactory.Instance, ClusterTimings.Defaults);
        return (registry.Join("dest.test", "dest.test", null, wake ?? (() => { })), authority);
    }

    [Fact]
    public void TokensKeepAccruingAcrossRenewals()
    {
        var (limiter, authority) = Join("2/min");
        var now = _time.GetUtcNow();
        Assert.True(limiter.TryTakeMessage(now, out _));
        Assert.True(limiter.TryTakeMessage(now, out _));
        Assert.False(limiter.TryTakeMessage(now, out _));
        limiter.Want("dest.test", 1, messages: true);
        // Time passes as it does: the limiter renews every period, giving back and getting again what accrued.
        for (var i = 0; i < 30; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(1 + (30 / (int)ClusterTimings.Defaults.SiteExchangePeriod.TotalSeconds), authority.Exchanges);
        Assert.True(limiter.TryTakeMessage(_time.GetUtcNow(), out var wait), $"wait {wait}");
        Assert.False(limiter.TryTakeMessage(_time.GetUtcNow(), out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WithoutAnAnswerAGrantHoldsUntilItsLeaseEndsThenNothingNewStartsAndTheActorsCloseWhatIsOpen(bool clockSteppedBack)
    {
        var wakes = 0;
        var (limiter, authority) = Join("600/min", () => wakes++);
        var start = _time.GetUtcNow();
        Assert.True(limiter.TryAcquireConnection(start, out var lease, out _));
        authority.Unreachable = true;
        if (clockSteppedBack)
        {
            // NTP steps the wall clock back an hour: the lease still ends on time (it runs on the monotonic clock).
            _time.StepBack(TimeSpan.FromHours(1));
        }

        // The grain stops answering: for the rest of the lease, what was granted still holds.
        for (var i = 0; i < ClusterTimings.Defaults.SiteLeasePeriod.TotalSeconds - 1; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(1, limiter.Standing("dest.test", _time.GetUtcNow()).Granted);
        Assert.False(limiter.Standing("dest.test", _time.GetUtcNow()).OverGrant);
        var woken = wakes;

        // It lapses: the open connection is over the grant (its actor has it QUIT after its transaction), nothing new is allowed.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, limiter.Standing("dest.test", _time.GetUtcNow()).Granted);
        Assert.True(limiter.Standing("dest.test", _time.GetUtcNow()).OverGrant);
        Assert.True(wakes > woken);
        Assert.False(limiter.TryAcquireConnection(_time.GetUtcNow(), out _, out _));

        // Answers again: the next renewal brings a grant back.
        lease.Dispose();
        authority.Unreachable = false;
        _time.Advance(ClusterTimings.Defaults.SiteExchangePeriod);
        Assert.True(limiter.TryAcquireConnection(_time.GetUtcNow(), out _, out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATransactionStillInFlightWhenTheLapseGraceRunsOutIsCutUnlessARenewalCameFirst(bool renewedInTheGrace)
    {
        var (limiter, authority) = Join("600/min");
        Assert.True(limiter.TryAcquireConnection(_time.GetUtcNow(), out var lease, out _));
        authority.Unreachable = true;
        for (var i = 0; i < ClusterTimings.Defaults.SiteLeasePeriod.TotalSeconds; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        // Lapsed: the transaction in flight may finish for the grace (the grain counts it that long).
        Assert.Equal(0, limiter.Standing("dest.test", _time.GetUtcNow()).Granted);
        Assert.False(lease.Cut.IsCancellationRequested);
        if (renewedInTheGrace)
        {
            authority.Unreachable = false;
        }
        for (var i = 0; i < ClusterTimings.Defaults.SiteLapseGrace.TotalSeconds - 1; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.False(lease.Cut.IsCancellationRequested);

        // The grace is over: the grain hands the room out now, so what is still open is cut (unless renewed).
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(!renewedInTheGrace, lease.Cut.IsCancellationRequested);
        lease.Dispose();

        // A slot taken afterwards starts with a fresh signal.
        authority.Unreachable = false;
        _time.Advance(ClusterTimings.Defaults.SiteExchangePeriod);
        Assert.True(limiter.TryAcquireConnection(_time.GetUtcNow(), out var next, out _));
        Assert.False(next.Cut.IsCancellationRequested);
        next.Dispose();
    }

    [Fact]
    public void ALeaseDisposedTwiceReleasesItsSlotOnce()
    {
        var (limiter, _) = Join("600/min");
        var now = _time.GetUtcNow();
        var held = new List<SiteConnectionLease>();
        while (limiter.TryAcquireConnection(now, out var lease, out _))
        {
            held.Add(lease);
        }
        Assert.NotEmpty(held);

        // One lease disposed twice (a copy of a struct once did this) frees one slot, not two.
        held[0].Dispose();
        held[0].Dispose();
        Assert.True(limiter.TryAcquireConnection(now, out var again, out _));
        Assert.False(limiter.TryAcquireConnection(now, out _, out _));
        again.Dispose();
        held.ForEach(l => l.Dispose());
    }

    [Fact]
    public void DemandPastWhatTheLastReportAskedForAsksTheGrainAtOnceAndOnlyThen()
    {
        var (limiter, authority) = Join("600/min");
        var asked = authority.Exchanges;

        limiter.Want("dest.test", 1, messages: true);
        Assert.Equal(asked, authority.Exchanges);

        limiter.Want("dest.test", 50, messages: true);
        Assert.Equal(asked + 1, authority.Exchanges);
        limiter.Want("dest.test", 50, messages: true);
        Assert.Equal(asked + 1, authority.Exchanges);
    }

    [Fact]
    public void ASlowDownPausesTheSiteAndIsReportedAtOnce()
    {
        var (limiter, authority) = Join("600/min");
        var asked = authority.Exchanges;
        var now = _time.GetUtcNow();

        limiter.SlowedDown(now, SiteSlowDown.Backoff, TimeSpan.FromMinutes(1));

        Assert.Equal(asked + 1, authority.Exchanges);
        var standing = limiter.Standing("dest.test", now);
        Assert.True(standing.PausedUntil > now, $"paused until {standing.PausedUntil}");
    }

    [Fact]
    public void IdleOnlyOnceNoDomainTakesPartAndNoSlotIsHeld()
    {
        var (limiter, _) = Join("600/min");
        Assert.True(limiter.TryAcquireConnection(_time.GetUtcNow(), out var lease, out _));

        limiter.Unregister("dest.test");
        Assert.False(limiter.IsIdle);
        lease.Dispose();
        Assert.True(limiter.IsIdle);
    }
}

/// <summary>A fake clock whose wall time can be stepped back, as NTP does; its monotonic time and timers run on.</summary>
internal sealed class SteppingClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private TimeSpan _back;

    public void StepBack(TimeSpan by) => _back += by;

    /// <summary>Another machine's clock that moves with this one but was never stepped.</summary>
    public TimeProvider Elsewhere => new Unstepped(this);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() - _back;

    // The fake's timestamp would follow the stepped wall time; a monotonic clock does not.
    public override long GetTimestamp() => base.GetUtcNow().UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    private DateTimeOffset TrueUtcNow => base.GetUtcNow();

    private sealed class Unstepped(SteppingClock clock) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => clock.TrueUtcNow;

        public override long GetTimestamp() => clock.GetTimestamp();

        public override long TimestampFrequency => clock.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => clock.CreateTimer(callback, state, dueTime, period);
    }
}
