namespace MailCluster.Delivery.Retry;

/// <summary>When a temporarily failed recipient is tried next, and when it has been queued too long.</summary>
internal sealed class RetryPolicy
{
    private readonly IReadOnlyList<TimeSpan> _steps;
    private readonly double _jitter;
    private readonly TimeSpan _lifetime;
    private readonly Random _random;
    private readonly Lock _lock = new();

    public RetryPolicy(RetryOptions options, Random random)
    {
        _steps = options.ScheduleSteps();
        _jitter = options.Jitter;
        _lifetime = options.MaxQueueLifetime;
        _random = random;
    }

    /// <summary>The next attempt after failure number <paramref name="attempts"/> (1 = first failure).</summary>
    public DateTimeOffset NextAttempt(int attempts, DateTimeOffset now)
    {
        var step = _steps[Math.Clamp(attempts - 1, 0, _steps.Count - 1)];
        double factor;
        lock (_lock)
        {
            factor = 1 + (((_random.NextDouble() * 2) - 1) * _jitter);
        }
        return now + (step * factor);
    }

    /// <summary>True when a recipient received at <paramref name="receivedAt"/> may not be retried at <paramref name="nextAttempt"/>.</summary>
    public bool IsExpired(DateTimeOffset receivedAt, DateTimeOffset nextAttempt) => nextAttempt - receivedAt > _lifetime;
}
