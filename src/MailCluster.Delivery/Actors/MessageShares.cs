namespace MailCluster.Delivery.Actors;

/// <summary>
/// Keeps a domain's messages split over its pool's sources by weight, as KumoMTA and PowerMTA
/// pools do: a source may run at most <see cref="Slack"/> messages per unit of weight ahead of the
/// source furthest behind among those carrying mail (usable, and with a connection or room for
/// one). A source that cannot carry (blocked, backed off, without room) is kept level with the
/// others meanwhile, so its share moves to them and it does not make up for the gap when it is back.
/// One only waiting for its grant (its lease ran out while it was idle or capped) is not: that is a
/// moment's wait, and levelling it forfeited a held share the moment its cap renewed.
/// In a pool that holds overflow, a source at its warm-up cap is not kept level: the others may lead
/// it by no more than the slack, so its share waits for its next hour or day.
/// </summary>
internal static class MessageShares
{
    /// <summary>Messages per unit of weight a source may lead by: shares hold over hundreds of messages, not message by message.</summary>
    public const double Slack = 10;

    /// <summary>
    /// The sources that may take the next message, the one furthest behind first, in
    /// <paramref name="into"/> (the caller's list, reused: this runs for every message);
    /// <paramref name="holds"/>: the pool holds the share of a source at its warm-up cap.
    /// </summary>
    public static List<PoolMemberSeat> Allowed(IReadOnlyList<PoolMemberSeat> sources, Func<SourceSeat, DateTimeOffset, bool> carrying, bool holds, DateTimeOffset now, List<PoolMemberSeat> into)
    {
        into.Clear();
        if (sources.Count == 1)
        {
            // One source (the implicit one, or a pool of one): nothing to share.
            if (carrying(sources[0].Seat, now))
            {
                into.Add(sources[0]);
            }
            return into;
        }
        var floor = double.MaxValue;
        foreach (var source in sources)
        {
            if (carrying(source.Seat, now))
            {
                into.Add(source);
                floor = Math.Min(floor, source.Progress);
            }
            else if (holds && source.Seat.Capped(now))
            {
                floor = Math.Min(floor, source.Progress);
            }
        }
        if (into.Count == 0)
        {
            // Nobody carries: there is no level to keep the others at.
            return into;
        }
        foreach (var source in sources)
        {
            if (!into.Contains(source) && !(holds && source.Seat.Capped(now)) && !source.Seat.AwaitingGrant(now))
            {
                source.Progress = Math.Max(source.Progress, floor);
            }
        }
        for (var i = into.Count - 1; i >= 0; i--)
        {
            if (into[i].Progress >= floor + Slack)
            {
                into.RemoveAt(i);
            }
        }
        into.Sort(static (a, b) => a.Progress.CompareTo(b.Progress));
        return into;
    }

    /// <summary>
    /// In a pool that holds overflow, whether a source at its warm-up cap holds up the whole pool:
    /// every other source that may send leads it by the slack already, so nothing can go until its cap renews.
    /// </summary>
    public static bool HeldUp(IReadOnlyList<PoolMemberSeat> sources, DateTimeOffset now)
    {
        var held = double.MaxValue;
        for (var i = 0; i < sources.Count; i++)
        {
            held = sources[i].Seat.Capped(now) ? Math.Min(held, sources[i].Progress) : held;
        }
        if (held == double.MaxValue)
        {
            return false;
        }
        for (var i = 0; i < sources.Count; i++)
        {
            if (!sources[i].Seat.Capped(now) && sources[i].Seat.Asking(now) && sources[i].Progress < held + Slack)
            {
                return false;
            }
        }
        return true;
    }
}
