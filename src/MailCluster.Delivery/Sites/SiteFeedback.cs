namespace MailCluster.Delivery.Sites;

/// <summary>
/// What the site's peers told this silo since the last report: clean transactions (the grain
/// recovers the budget from these) and slow-downs (it halves the budget once per burst). A
/// slow-down also pauses the site here at once, until the grain's answer says for how long.
/// Not thread-safe: its <see cref="SiteLimiter"/> guards it.
/// </summary>
internal sealed class SiteFeedback
{
    public int CleanTransactions { get; private set; }

    public bool SlowedDown { get; private set; }

    /// <summary>The local pause a slow-down set; <see cref="DateTimeOffset.MinValue"/> when none.</summary>
    public DateTimeOffset PausedUntil { get; private set; } = DateTimeOffset.MinValue;

    public void Clean() => CleanTransactions++;

    public void SlowDown(DateTimeOffset now, TimeSpan backoff) => (SlowedDown, PausedUntil) = (true, now + backoff);

    /// <summary>The grain answered a report carrying <paramref name="cleanTransactions"/> and <paramref name="slowedDown"/>: those are counted.</summary>
    public void Counted(int cleanTransactions, bool slowedDown)
    {
        CleanTransactions -= cleanTransactions;
        if (slowedDown)
        {
            // The grain's answer now says how long the site pauses.
            (SlowedDown, PausedUntil) = (false, DateTimeOffset.MinValue);
        }
    }
}
