using MailCluster.Cluster.Sites;

namespace MailCluster.Delivery.Sites;

/// <summary>
/// What the site's peers told this silo since the last report: clean transactions (the grain
/// recovers the budget from these) and slow-downs (a 421, or a response rule's backoff or
/// suspension: the grain pauses the site for every silo and scales its budget once per burst). A
/// slow-down also pauses the site here at once, until the grain's answer says for how long; of
/// several, the one that pauses longest is reported. Not thread-safe: its <see cref="SiteLimiter"/> guards it.
/// </summary>
internal sealed class SiteFeedback
{
    public int CleanTransactions { get; private set; }

    /// <summary>The slow-down to report, its duration resolved; null when none happened since the last report.</summary>
    public SiteSlowDown? SlowDown { get; private set; }

    public bool SlowedDown => SlowDown is not null;

    /// <summary>The local pause a slow-down set; <see cref="DateTimeOffset.MinValue"/> when none.</summary>
    public DateTimeOffset PausedUntil { get; private set; } = DateTimeOffset.MinValue;

    public void Clean() => CleanTransactions++;

    /// <summary>A slow-down of <paramref name="duration"/> (the effect's own, or the site's backoff period).</summary>
    public void Slow(DateTimeOffset now, SiteSlowDown effect, TimeSpan duration)
    {
        if (SlowDown is null || now + duration > PausedUntil)
        {
            (SlowDown, PausedUntil) = (effect with { Duration = duration }, now + duration);
        }
    }

    /// <summary>The grain answered a report carrying <paramref name="cleanTransactions"/> and <paramref name="reported"/>: those are counted.</summary>
    public void Counted(int cleanTransactions, SiteSlowDown? reported)
    {
        CleanTransactions -= cleanTransactions;
        if (reported is not null && ReferenceEquals(reported, SlowDown))
        {
            // The grain's answer now says how long the site pauses.
            (SlowDown, PausedUntil) = (null, DateTimeOffset.MinValue);
        }
    }
}
