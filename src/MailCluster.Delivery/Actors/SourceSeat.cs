using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain actor's seat for one source at the site: the (source, site) limiter, where it stood at
/// the last read, and the connections the actor asks it for. One per source, whichever of the
/// actor's pools name it. Touched only by the actor's loop.
/// </summary>
internal sealed class SourceSeat(EgressSource source, SiteLimiter limiter)
{
    public EgressSource Source => source;

    public SiteLimiter Limiter => limiter;

    /// <summary>Where the (source, site) stood at the last read.</summary>
    public SiteStanding Standing { get; set; }

    /// <summary>Connections the actor could use on this source now, summed over its pools (<see cref="SiteSeat.Want"/>).</summary>
    public int Wanted { get; set; }

    /// <summary>A pool of this source has mail waiting: it wants message tokens too.</summary>
    public bool WantsMessages { get; set; }

    /// <summary>Granted and neither suspended, backed off nor at its warm-up cap: it may open connections and start transactions.</summary>
    public bool Usable(DateTimeOffset now) => Standing.Suspended == false && now >= Standing.HeldBackUntil;

    /// <summary>Not held back (suspended, backed off, at its warm-up cap): it asks its grain for room, also before its first grant.</summary>
    public bool Asking(DateTimeOffset now) => Standing.Suspended != true && now >= Standing.HeldBackUntil;

    /// <summary>Asking, with no connection granted yet or since its lease ran out: about to carry, not unable to.</summary>
    public bool AwaitingGrant(DateTimeOffset now) => Asking(now) && Standing.Granted == 0;

    /// <summary>At its warm-up cap at the site until its next hour or day.</summary>
    public bool Capped(DateTimeOffset now) => now < Standing.CappedUntil;
}
