using MailCluster.Delivery.Egress.Sources;
using MailCluster.Spool;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain actor's pools none of whose sources may send for now (each suspended, backed off or at
/// its warm-up cap; or one at its cap holds up a pool that holds overflow), while others may: their waiting jobs go back to the queue, and claims leave their mail there
/// (<see cref="Exclusion"/>), so a blocked pool's mail never fills the ready window ahead of
/// another pool's. When a pool may send again, the spool is asked again. Touched only by the
/// actor's loop.
/// </summary>
internal sealed class BlockedPools(Outcomes.AttemptRecorder recorder, EgressPlan egress)
{
    private readonly HashSet<EgressPool> _blocked = new(ReferenceEqualityComparer.Instance);

    /// <summary>What claims leave in the queue; null while no pool is blocked.</summary>
    public PoolExclusion? Exclusion { get; private set; }

    /// <summary>Looks at every pool the domain's mail has used; a change of the set changes <see cref="Exclusion"/>.</summary>
    public void Update(SiteSeat seat, ReadyWindow ready, DateTimeOffset now)
    {
        var changed = false;
        var pools = ready.Pools;
        for (var p = 0; p < pools.Count; p++)
        {
            var pool = pools[p];
            if (MaySend(seat.For(pool), now))
            {
                if (_blocked.Remove(pool))
                {
                    // Its mail was left in the queue: claims may find it now.
                    ready.SpoolHasMore();
                    changed = true;
                }
            }
            else
            {
                changed |= _blocked.Add(pool);
                if (ready.JobsOf(pool) > 0)
                {
                    // Jobs claimed before it was blocked, or received from the retry tier since.
                    recorder.Release(ready.TakeAll(p => ReferenceEquals(p, pool)), $"egress pool {pool.Name} cannot send now");
                }
            }
        }
        if (changed)
        {
            Exclusion = _blocked.Count == 0 ? null
                : new PoolExclusion([.. _blocked.Select(p => p.Name)], _blocked.Contains(egress.DefaultPool));
        }
    }

    private static bool MaySend(PoolSeat pool, DateTimeOffset now)
    {
        // Runs after every command: an index loop, nothing allocated.
        var members = pool.Members;
        if (pool.Pool.HoldsOverflow && MessageShares.HeldUp(members, now))
        {
            return false;
        }
        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].Seat.Asking(now))
            {
                return true;
            }
        }
        return false;
    }
}
