using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// Which of a pool's sources takes the next message or opens the next connection: among those
/// its <see cref="MessageShares"/> allow, the first with what it needs (an idle connection and a
/// message token; or room at its site, and at the site's total). Touched only by the actor's loop.
/// </summary>
internal sealed class SourceChoice(SiteSeat seat, WorkerPool workers)
{
    private readonly List<PoolMemberSeat> _allowed = [];
    private Func<SourceSeat, DateTimeOffset, bool>? _carrying;

    /// <summary>The pool's sources that may take its next message (<see cref="MessageShares"/>).</summary>
    private List<PoolMemberSeat> Allowed(PoolSeat pool, DateTimeOffset now) => MessageShares.Allowed(pool.Members, _carrying ??= Carrying, pool.Pool.HoldsOverflow, now, _allowed);

    /// <summary>The first allowed member of the pool with an idle connection and a message token, or null (with the soonest a token accrues).</summary>
    public PoolMemberSeat? PaidMember(PoolSeat pool, DateTimeOffset now, ref TimeSpan? soonest)
    {
        var allowed = Allowed(pool, now);
        for (var i = 0; i < allowed.Count; i++)
        {
            if (workers.IdleOf(allowed[i].Seat.Source) > 0 && TryTakeMessage(allowed[i].Seat, now, ref soonest))
            {
                return allowed[i];
            }
        }
        return null;
    }

    /// <summary>
    /// The source can take mail now: granted, not held back, with a connection open or room for one.
    /// Room at the site's total is not asked: when the total is full, a source without a connection
    /// keeps its share and takes the room of one that leads (<see cref="TryAcquireConnection"/>).
    /// </summary>
    private bool Carrying(SourceSeat source, DateTimeOffset now) =>
        source.Usable(now) && (workers.OpenOf(source.Source) > 0 || HasOwnRoom(source));

    private static bool HasOwnRoom(SourceSeat source) => source.Standing.Granted > source.Standing.Held;

    /// <summary>A message token of the source's share, then of the site total's (a source token spent when the total has none errs on the side of sending less).</summary>
    private bool TryTakeMessage(SourceSeat source, DateTimeOffset now, ref TimeSpan? soonest)
    {
        if (source.Limiter.TryTakeMessage(now, out var wait) && (seat.Total is not { } total || total.TryTakeMessage(now, out wait)))
        {
            return true;
        }
        soonest = Sooner(soonest, wait);
        return false;
    }

    /// <summary>
    /// Slots for a connection from the pool's first allowed source without an idle connection and
    /// below the site's limit that has room, at the site's total too when a rule caps it; otherwise
    /// null, and the soonest a new-connection token accrues in <paramref name="retryIn"/>.
    /// </summary>
    public SourceSeat? TryAcquireConnection(PoolSeat pool, DateTimeOffset now, out ConnectionSlot? slot, ref TimeSpan? retryIn)
    {
        slot = null;
        var allowed = Allowed(pool, now);
        for (var i = 0; i < allowed.Count; i++)
        {
            var source = allowed[i].Seat;
            if (workers.IdleOf(source.Source) > 0 || workers.OpenOf(source.Source) >= seat.Shaping!.MaxConnections)
            {
                continue;
            }
            SiteConnectionLease? total = null;
            TimeSpan? wait;
            if (seat.Total is { } site && !site.TryAcquireConnection(now, out total, out wait))
            {
                retryIn = Sooner(retryIn, wait);
                if (workers.OpenOf(source.Source) == 0 && HasOwnRoom(source))
                {
                    CloseIdleOfLeading(pool);
                }
                return null;
            }
            if (source.Limiter.TryAcquireConnection(now, out var lease, out wait))
            {
                slot = new ConnectionSlot(lease, total);
                return source;
            }
            total?.Dispose();
            retryIn = Sooner(retryIn, wait);
        }
        return null;
    }

    /// <summary>
    /// The site's total is full and an allowed source without a connection waits for room: one idle
    /// connection of a source its shares hold back (it leads the others by the slack) says QUIT, so
    /// its room at the total goes to the source behind. Without this, the first sources to connect
    /// would keep the site to themselves and the weights would mean nothing under a total. A source
    /// that has a connection catches up on it instead: no churn of connections under load.
    /// </summary>
    private void CloseIdleOfLeading(PoolSeat pool)
    {
        var members = pool.Members;
        for (var i = 0; i < members.Count; i++)
        {
            if (workers.IdleOf(members[i].Seat.Source) > 0 && !_allowed.Contains(members[i]))
            {
                workers.CloseOneIdle(members[i].Seat.Source);
                return;
            }
        }
    }

    private static TimeSpan? Sooner(TimeSpan? a, TimeSpan? b) => b is { } w && (a is null || w < a) ? w : a;
}
