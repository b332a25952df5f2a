using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Smtp.Tests.Server;

public sealed class SessionClockTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly SessionClock _clock;

    public SessionClockTests()
    {
        _clock = new SessionClock(_time, idleTimeout: TimeSpan.FromMinutes(5), maxDuration: TimeSpan.FromHours(1));
        _clock.Start();
    }

    private bool ExpireNow() => _clock.Expire(_time.GetTimestamp());

    [Fact]
    public void ASessionIsActiveFromItsStartAndIdleOnlyPastTheTimeout()
    {
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.False(ExpireNow());
        Assert.Null(_clock.Expiry);

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.True(ExpireNow());
        Assert.Equal(SmtpReplies.IdleTimeout, _clock.Expiry);
    }

    [Fact]
    public void InputRestartsTheIdleTimeout()
    {
        _time.Advance(TimeSpan.FromMinutes(4));
        _clock.MarkActive();
        _time.Advance(TimeSpan.FromMinutes(4));

        Assert.False(ExpireNow());
    }

    [Fact]
    public void ASessionThatKeepsSendingEndsAtItsTimeLimit()
    {
        for (var minute = 0; minute < 60; minute += 4)
        {
            _time.Advance(TimeSpan.FromMinutes(4));
            _clock.MarkActive();
            Assert.False(ExpireNow());
        }
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.True(ExpireNow());
        Assert.Equal(SmtpReplies.SessionTooLong, _clock.Expiry);
    }

    [Fact]
    public void OnlyTheFirstCheckPastALimitReportsItAndTheLimitStays()
    {
        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.True(ExpireNow());

        // Later checks, even after input, neither report again nor undo it: the session is ending.
        _clock.MarkActive();
        _time.Advance(TimeSpan.FromHours(2));
        Assert.False(ExpireNow());
        Assert.Equal(SmtpReplies.IdleTimeout, _clock.Expiry);
    }
}
