namespace MailCluster.Delivery.Actors;

/// <summary>
/// When a domain actor with nothing to do deactivates: once it has been idle without a break for
/// <see cref="DeliveryOptions.ActorIdleTimeout"/>. Any busy moment starts the wait afresh.
/// </summary>
internal sealed class IdleWatch(TimeSpan timeout)
{
    private DateTimeOffset _since = DateTimeOffset.MaxValue;

    /// <summary>True once idle for the whole timeout; otherwise, while idle, <paramref name="lookAgainAt"/> says when it will be.</summary>
    public bool Expired(bool busy, DateTimeOffset now, out DateTimeOffset? lookAgainAt)
    {
        lookAgainAt = null;
        if (busy)
        {
            _since = DateTimeOffset.MaxValue;
            return false;
        }
        if (_since == DateTimeOffset.MaxValue)
        {
            _since = now;
        }
        var deadline = _since + timeout;
        if (now >= deadline)
        {
            return true;
        }
        lookAgainAt = deadline;
        return false;
    }
}
