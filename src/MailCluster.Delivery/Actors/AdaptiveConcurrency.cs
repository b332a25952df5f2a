namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain's adaptive connection cap: a slow-down signal (421, x.7.x, nobody answering) pauses
/// the domain and halves the cap; each run of clean transactions gives one connection back.
/// </summary>
internal sealed class AdaptiveConcurrency
{
    /// <summary>Clean transactions after a backoff before one more connection is allowed again.</summary>
    public const int RecoveryStep = 10;

    private int _limit;
    private int _cleanSinceBackoff;

    public int Cap { get; private set; }

    public DateTimeOffset PausedUntil { get; private set; } = DateTimeOffset.MinValue;

    public bool IsPaused(DateTimeOffset now) => now < PausedUntil;

    /// <summary>A (new) configured limit: a domain in backoff keeps its reduced cap within it; otherwise the limit applies.</summary>
    public void Limit(int maxConnections, DateTimeOffset now)
    {
        _limit = maxConnections;
        Cap = IsPaused(now) ? Math.Min(Cap, maxConnections) : maxConnections;
    }

    public void BackOff(DateTimeOffset now, TimeSpan period)
    {
        PausedUntil = now + period;
        Cap = Math.Max(1, Cap / 2);
        _cleanSinceBackoff = 0;
    }

    /// <summary>A transaction in which every recipient was delivered.</summary>
    public void Clean()
    {
        if (++_cleanSinceBackoff >= RecoveryStep && Cap < _limit)
        {
            Cap++;
            _cleanSinceBackoff = 0;
        }
    }
}
