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
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private readonly TestMeterFactory _meters = new();

    public void Dispose() => _meters.Dispose();

    private (SiteLimiter Limiter, LedgerSiteAuthority Authority) Join(string rate)
    {
        var rules = new ShapingRules(new ShapingOptions { Rules = [new ShapingRule { Match = "dest.test", MessageRate = rate }] });
        var authority = new LedgerSiteAuthority(rules, _time);
        var registry = new SiteLimiterRegistry(authority, _time, new DeliveryMetrics(_meters, new DomainLabel(10)), NullLoggerFactory.Instance, ClusterTimings.Defaults);
        return (registry.Join("dest.test", "dest.test", null, () => { }), authority);
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

    [Fact]
    public void WithoutAnAnswerAGrantHoldsUntilItsLeaseEndsThenOpenConnectionsAreCutAndNothingNewIsAllowed()
    {
        var (limiter, authority) = Join("600/min");
        var start = _time.GetUtcNow();
        Assert.True(limiter.TryAcquireConnection(start, out var lease, out _));
        authority.Unreachable = true;

        // The grain stops answering: for the rest of the lease, what was granted still holds.
        for (var i = 0; i < ClusterTimings.Defaults.SiteLeasePeriod.TotalSeconds - 1; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.False(lease.Lapsed.IsCancellationRequested);
        Assert.Equal(1, limiter.Standing("dest.test", _time.GetUtcNow()).Granted);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(lease.Lapsed.IsCancellationRequested);
        Assert.Equal(0, limiter.Standing("dest.test", _time.GetUtcNow()).Granted);
        Assert.False(limiter.TryAcquireConnection(_time.GetUtcNow(), out _, out _));
        Assert.True(limiter.Standing("dest.test", _time.GetUtcNow()).OverGrant);

        // Answers again: the next renewal brings a grant back.
        lease.Dispose();
        authority.Unreachable = false;
        _time.Advance(ClusterTimings.Defaults.SiteExchangePeriod);
        Assert.True(limiter.TryAcquireConnection(_time.GetUtcNow(), out _, out _));
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

        limiter.SlowedDown(now, TimeSpan.FromMinutes(1));

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
