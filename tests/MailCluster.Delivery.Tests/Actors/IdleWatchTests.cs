using MailCluster.Delivery.Actors;

namespace MailCluster.Delivery.Tests.Actors;

public sealed class IdleWatchTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(10);

    [Fact]
    public void IdleForTheWholeTimeoutExpiresAndSaysWhenBefore()
    {
        var watch = new IdleWatch(s_timeout);

        Assert.False(watch.Expired(busy: false, s_now, out var at));
        Assert.Equal(s_now + s_timeout, at);
        Assert.False(watch.Expired(busy: false, s_now.AddMinutes(9), out at));
        Assert.Equal(s_now + s_timeout, at);
        Assert.True(watch.Expired(busy: false, s_now + s_timeout, out _));
    }

    [Fact]
    public void ABusyMomentStartsTheWaitAfresh()
    {
        var watch = new IdleWatch(s_timeout);
        watch.Expired(busy: false, s_now, out _);

        Assert.False(watch.Expired(busy: true, s_now.AddMinutes(5), out var at));
        Assert.Null(at);
        Assert.False(watch.Expired(busy: false, s_now.AddMinutes(6), out at));
        Assert.Equal(s_now.AddMinutes(16), at);
        Assert.False(watch.Expired(busy: false, s_now + s_timeout, out _));
    }
}
