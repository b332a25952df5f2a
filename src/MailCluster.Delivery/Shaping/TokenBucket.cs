namespace MailCluster.Delivery.Shaping;

/// <summary>
/// A token bucket over a <see cref="ThrottleSpec"/>: tokens refill continuously at the spec's
/// rate up to its burst. Time comes from the injected clock, so tests step it.
/// </summary>
internal sealed class TokenBucket
{
    private readonly ThrottleSpec _spec;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _updated;

    public TokenBucket(ThrottleSpec spec, TimeProvider time)
    {
        _spec = spec;
        _time = time;
        _tokens = spec.Burst;
        _updated = time.GetTimestamp();
    }

    /// <summary>Takes one token if there is one; otherwise returns false and how long until there will be.</summary>
    public bool TryTake(out TimeSpan wait)
    {
        lock (_lock)
        {
            Refill();
            if (_tokens >= 1)
            {
                _tokens -= 1;
                wait = TimeSpan.Zero;
                return true;
            }
            wait = TimeSpan.FromSeconds((1 - _tokens) / _spec.PerSecond);
            return false;
        }
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_spec.Burst, _tokens + (_time.GetElapsedTime(_updated, now).TotalSeconds * _spec.PerSecond));
        _updated = now;
    }
}
