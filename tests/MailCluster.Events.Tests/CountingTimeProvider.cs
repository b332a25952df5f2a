using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Events.Tests;

/// <summary>A fake clock that counts the timers made on it, so a test knows a pause or deadline has begun before it moves the clock.</summary>
internal sealed class CountingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private int _timers;

    public int TimersCreated => Volatile.Read(ref _timers);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timers);
        return timer;
    }
}
