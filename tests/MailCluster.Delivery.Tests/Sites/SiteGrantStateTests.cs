using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Tests.Sites;

public sealed class SiteGrantStateTests
{
    private static readonly DateTimeOffset s_sent = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private readonly SteppingClock _time = new(s_sent);

    internal static SiteGrant Grant(int connections = 2, RateShare? messages = null, RateShare? newConnections = null, TimeSpan pausedFor = default, bool siteSuspended = false, params string[] suspended) =>
        new(Guid.NewGuid(), connections, TimeSpan.FromSeconds(10), messages, newConnections, TimeSpan.FromSeconds(10), pausedFor, siteSuspended, suspended);

    [Fact]
    public void BeforeTheFirstGrantNothingIsAllowedAndSuspensionIsUnknown()
    {
        var state = new SiteGrantState(_time);

        Assert.Equal(0, state.Connections);
        Assert.Null(state.Suspended("dest.test"));
        Assert.Null(state.LeaseLeft);
        Assert.Equal(Guid.Empty, state.Epoch);
        Assert.False(state.TryTakeMessage(s_sent, out var wait, out _));
        Assert.Null(wait);
        Assert.False(state.TryTakeNewConnection(s_sent, out _));
    }

    [Fact]
    public void ALeaseCountsFromWhenItsReportWasSentAndGrantsNothingOnceItEnds()
    {
        var state = new SiteGrantState(_time);
        var grant = Grant(connections: 3);
        state.Apply(grant, s_sent, _time.GetTimestamp());
        _time.StepBack(TimeSpan.FromMinutes(5));

        Assert.Equal(grant.Epoch, state.Epoch);
        Assert.Equal(grant.LeaseFor, state.LeaseLeft);
        _time.Advance(grant.LeaseFor - TimeSpan.FromTicks(1));
        Assert.Equal(3, state.Connections);
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(0, state.Connections);
    }

    [Fact]
    public void WithoutARateShareMessagesAndConnectionsAreUnmeteredAndWithOneTheyAccrue()
    {
        var state = new SiteGrantState(_time);
        state.Apply(Grant(), s_sent, _time.GetTimestamp());
        Assert.True(state.TryTakeMessage(s_sent, out _, out _));
        Assert.True(state.TryTakeNewConnection(s_sent, out _));

        state.Apply(Grant(messages: new RateShare(PerSecond: 1, Burst: 1, Tokens: 1), newConnections: new RateShare(1, 1, 0)), s_sent, _time.GetTimestamp());
        Assert.True(state.TryTakeMessage(s_sent, out _, out _));
        Assert.False(state.TryTakeMessage(s_sent, out var wait, out _));
        Assert.Equal(TimeSpan.FromSeconds(1), wait);
        Assert.False(state.TryTakeNewConnection(s_sent, out var retryIn));
        Assert.Equal(TimeSpan.FromSeconds(1), retryIn);
        Assert.True(state.TryTakeNewConnection(s_sent.AddSeconds(1), out _));
    }

    [Fact]
    public void TokensAndWarmUpQuotaLeftAreGivenBackOnceAndNothingIsSentOnThemAfterwards()
    {
        var state = new SiteGrantState(_time);
        state.Apply(Grant(messages: new RateShare(0, 5, 3), newConnections: new RateShare(0, 5, 2)) with { WarmUp = new WarmUpQuota(5, TimeSpan.Zero) }, s_sent, _time.GetTimestamp());
        Assert.True(state.TryTakeMessage(s_sent, out _, out _));

        Assert.Equal((2d, 2d, 4), state.GiveBack(s_sent));
        Assert.Equal((0d, 0d, 0), state.GiveBack(s_sent));
        Assert.False(state.TryTakeMessage(s_sent, out _, out _));
    }

    [Fact]
    public void AWarmUpQuotaIsSpentMessageByMessageAndItsEndAsksOnceForMoreWhileTheCapsHaveMore()
    {
        var state = new SiteGrantState(_time);
        state.Apply(Grant() with { WarmUp = new WarmUpQuota(2, TimeSpan.Zero) }, s_sent, _time.GetTimestamp());

        Assert.True(state.TryTakeMessage(s_sent, out _, out var spent));
        Assert.False(spent);
        Assert.True(state.TryTakeMessage(s_sent, out _, out spent));
        Assert.True(spent);
        Assert.False(state.TryTakeMessage(s_sent, out var wait, out spent));
        Assert.Null(wait);
        Assert.False(spent);

        // A grant whose quota is empty though the caps have more asks once for the next.
        state.Apply(Grant() with { WarmUp = new WarmUpQuota(0, TimeSpan.Zero) }, s_sent, _time.GetTimestamp());
        Assert.False(state.TryTakeMessage(s_sent, out _, out spent));
        Assert.True(spent);
        Assert.False(state.TryTakeMessage(s_sent, out _, out spent));
        Assert.False(spent);
        // The caps had more: the source is not held back, it waits for its next quota.
        Assert.Equal(DateTimeOffset.MinValue, state.CappedUntil);
    }

    [Fact]
    public void ASourceWhoseCapsHaveNothingLeftIsCappedOnceItsQuotaIsSpentUntilTheWindowEnds()
    {
        var state = new SiteGrantState(_time);
        state.Apply(Grant() with { WarmUp = new WarmUpQuota(1, TimeSpan.FromMinutes(20)) }, s_sent, _time.GetTimestamp());

        Assert.Equal(DateTimeOffset.MinValue, state.CappedUntil);
        Assert.True(state.TryTakeMessage(s_sent, out _, out var spent));
        Assert.False(spent);
        Assert.Equal(s_sent.AddMinutes(20), state.CappedUntil);
        Assert.False(state.TryTakeMessage(s_sent, out _, out _));
    }

    [Fact]
    public void SuspensionOfTheSiteOrOfOneDomainAndThePauseShowAsGranted()
    {
        var state = new SiteGrantState(_time);
        state.Apply(Grant(pausedFor: TimeSpan.FromSeconds(30), suspended: "Dest.Test"), s_sent, _time.GetTimestamp());

        Assert.True(state.Suspended("dest.test"));
        Assert.False(state.Suspended("other.test"));
        Assert.Equal(s_sent.AddSeconds(30), state.PausedUntil);

        state.Apply(Grant(siteSuspended: true), s_sent, _time.GetTimestamp());
        Assert.True(state.Suspended("other.test"));
        Assert.Equal(DateTimeOffset.MinValue, state.PausedUntil);
    }

    [Fact]
    public void AStandingIsOverItsGrantWhenItHoldsMoreThanGranted()
    {
        Assert.False(new SiteStanding(false, DateTimeOffset.MinValue, Granted: 2, Held: 2).OverGrant);
        Assert.True(new SiteStanding(false, DateTimeOffset.MinValue, Granted: 0, Held: 1).OverGrant);
    }
}
