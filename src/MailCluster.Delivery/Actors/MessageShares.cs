namespace MailCluster.Delivery.Actors;

/// <summary>
/// Keeps a domain's messages split over its pool's sources by weight, as KumoMTA and PowerMTA
/// pools do: a source may run at most <see cref="Slack"/> messages per unit of weight ahead of the
/// source furthest behind among those carrying mail (usable, and with a connection or room for
/// one). A source that cannot carry (blocked, backed off, without room) is kept level with the
/// others meanwhile, so its share moves to them and it does not make up for the gap when it is back.
/// </summary>
internal static class MessageShares
{
    /// <summary>Messages per unit of weight a source may lead by: shares hold over hundreds of messages, not message by message.</summary>
    public const double Slack = 10;

    /// <summary>The sources that may take the next message, the one furthest behind first.</summary>
    public static IReadOnlyList<SourceSeat> Allowed(IReadOnlyList<SourceSeat> sources, Func<SourceSeat, DateTimeOffset, bool> carrying, DateTimeOffset now)
    {
        if (sources.Count == 1)
        {
            // One source (the implicit one, or a pool of one): nothing to share, nothing to allocate per message.
            return carrying(sources[0], now) ? sources : [];
        }
        var carriers = sources.Where(s => carrying(s, now)).ToList();
        if (carriers.Count == 0)
        {
            return [];
        }
        var floor = carriers.Min(s => s.Progress);
        foreach (var idle in sources.Where(s => !carriers.Contains(s)))
        {
            idle.Progress = Math.Max(idle.Progress, floor);
        }
        return [.. carriers.Where(s => s.Progress < floor + Slack).OrderBy(s => s.Progress)];
    }
}
