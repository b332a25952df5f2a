using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain actor's seat for one source of its pool at the site: the (source, site) limiter, the
/// source's weight, and the messages handed to its connections (so shares follow the weights).
/// Touched only by the actor's loop.
/// </summary>
internal sealed class SourceSeat(PoolMember member, SiteLimiter limiter)
{
    public EgressSource Source => member.Source;

    public int Weight => member.Weight;

    public SiteLimiter Limiter => limiter;

    /// <summary>Where the (source, site) stood at the last read.</summary>
    public SiteStanding Standing { get; set; }

    /// <summary>Messages handed to this source's connections, over its weight (while it could not carry, kept level with the others).</summary>
    public double Progress { get; set; }

    /// <summary>Granted and neither suspended nor backed off: it may open connections and start transactions.</summary>
    public bool Usable(DateTimeOffset now) => Standing.Suspended == false && now >= Standing.PausedUntil;

    /// <summary>Not held back (suspended or backed off): it asks its grain for room, also before its first grant.</summary>
    public bool Asking(DateTimeOffset now) => Standing.Suspended != true && now >= Standing.PausedUntil;

    /// <summary>One more message handed to its connections.</summary>
    public void Sent() => Progress += 1.0 / Weight;
}
