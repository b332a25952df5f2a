namespace MailCluster.Delivery.Actors;

/// <summary>One timer per actor, set for the earliest moment something should be looked at again (a throttle wait, a backoff's end, the idle deadline).</summary>
internal sealed class WakeTimer(TimeProvider time, Action fire) : IDisposable
{
    private ITimer? _timer;
    private DateTimeOffset _due = DateTimeOffset.MaxValue;

    public void At(DateTimeOffset at, DateTimeOffset now)
    {
        // A timer already set for earlier still stands; one whose moment passed (its wake lost to a full mailbox) does not.
        if (at >= _due && _due > now)
        {
            return;
        }
        _due = at;
        _timer?.Dispose();
        _timer = time.CreateTimer(_ => fire(), null, at - now, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The timer fired and its wake was handled: the next <see cref="At"/> sets it afresh.</summary>
    public void Fired() => _due = DateTimeOffset.MaxValue;

    public void Dispose() => _timer?.Dispose();
}
