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
        Assert.False(state.TryTakeMessage(s_sent, out var wait));
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
        Assert.True(state.TryTakeMessage(s_sent, out _));
        Assert.True(state.TryTakeNewConnection(s_sent, out _));

        state.Apply(Grant(messages: new RateShare(PerSecond: 1, Burst: 1, Tokens: 1), newConnections: new RateShare(1, 1, 0)), s_sent, _time.GetTimestamp());
        Assert.True(state.TryTakeMessage(s_sent, out _));
        Assert.False(state.TryTakeMessage(s_sent, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(1), wait);
        Assert.False(state.TryTakeNewConnection(s_sent, out var retryIn));
        Assert.Equal(TimeSpan.FromSeconds(1), retryIn);
        Assert.True(state.TryTakeNewConnection(s_sent.AddSeconds(1), out _));
    }

    [Fact]
    public void TokensLeftAreGivenBackOnce()
    {
        var state = new SiteGrantState(_time);
        state.Apply(Grant(messages: new RateShare(0, 5, 3), newConnections: new RateShare(0, 5, 2)), s_sent, _time.GetTimestamp());

        Assert.Equal((3d, 2d), state.GiveBack(s_sent));
        Assert.Equal((0d, 0d), state.GiveBack(s_sent));
        Assert.False(state.TryTakeMessage(s_sent, out _));
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
