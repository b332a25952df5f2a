namespace MailCluster.Cluster.Sites;

/// <summary>
/// A warming source's messages at one site, counted per UTC day and hour in <see cref="SiteState"/>.
/// A silo that wants to send gets a quota out of what the day's and the hour's caps leave (half of an
/// equal share per wanting silo, so that silos asking later still find some), and gives back what
/// it did not spend. Every quota is counted, and written, before it goes out, so quotas never add up
/// past a cap across silos or grain moves. A quota given back comes off the counts only when this
/// activation handed it out the same day: otherwise it stays counted (sending less is the safe side).
/// </summary>
internal sealed class WarmUpAllowance(SiteState state)
{
    private static readonly TimeSpan s_hour = TimeSpan.FromHours(1);

    private readonly Dictionary<string, (int Messages, DateTimeOffset Hour)> _out = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _wanting = new(StringComparer.Ordinal);

    /// <summary>The caps the last silo to report named (its schedule's today), for operators.</summary>
    public WarmUpCap? LastCap { get; private set; }

    /// <summary>
    /// Takes back what <paramref name="silo"/> did not spend of its last quota and, under
    /// <paramref name="cap"/> (null: the source is not warming up at this site), hands it a new one
    /// if it wants one and <paramref name="mayGrant"/>. True in <paramref name="changed"/> when the counts changed.
    /// </summary>
    public WarmUpQuota? Exchange(string silo, WarmUpCap? cap, bool wants, int unspent, bool mayGrant, DateTimeOffset now, TimeSpan slice, out bool changed)
    {
        changed = false;
        if (cap is null && !_out.ContainsKey(silo))
        {
            _wanting.Remove(silo);
            return null;
        }
        var hour = new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour), TimeSpan.Zero);
        changed = Roll(hour);
        LastCap = cap;
        if (_out.Remove(silo, out var given) && unspent > 0 && given.Hour.Date == hour.Date)
        {
            var back = Math.Min(unspent, given.Messages);
            state.WarmUpToday -= back;
            state.WarmUpThisHour -= given.Hour == hour ? back : 0;
            changed = true;
        }
        if (cap is null || !wants)
        {
            _wanting.Remove(silo);
            return cap is null ? null : new WarmUpQuota(0, TimeSpan.Zero);
        }
        _wanting[silo] = now + slice;
        foreach (var gone in _wanting.Where(w => w.Value <= now).Select(w => w.Key).ToList())
        {
            _wanting.Remove(gone);
        }
        var dayLeft = Math.Max(0, cap.PerDay - state.WarmUpToday);
        var hourLeft = cap.PerHour is { } perHour ? Math.Max(0, perHour - state.WarmUpThisHour) : int.MaxValue;
        var left = Math.Min(dayLeft, hourLeft);
        var quota = mayGrant && left > 0 ? Math.Min(left, (int)Math.Ceiling(left / (2.0 * _wanting.Count))) : 0;
        if (quota > 0)
        {
            (state.WarmUpToday, state.WarmUpThisHour) = (state.WarmUpToday + quota, state.WarmUpThisHour + quota);
            _out[silo] = (quota, hour);
            changed = true;
        }
        // Nothing left: the silo stops choosing this source here until the window that ran out ends.
        var cappedFor = dayLeft - quota <= 0 ? hour.Date.AddDays(1) - now.UtcDateTime
            : hourLeft - quota <= 0 ? hour + s_hour - now
            : TimeSpan.Zero;
        return new WarmUpQuota(quota, cappedFor);
    }

    /// <summary>Starts new counts when the UTC hour (and day) moved on; never back, should a clock step back.</summary>
    private bool Roll(DateTimeOffset hour)
    {
        if (hour <= state.WarmUpHour)
        {
            return false;
        }
        if (hour.Date != state.WarmUpHour.Date)
        {
            state.WarmUpToday = 0;
        }
        (state.WarmUpHour, state.WarmUpThisHour) = (hour, 0);
        return true;
    }
}
