using MailCluster.Delivery.Egress.Sources;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// One pool's part of a domain actor's seats: its members' <see cref="SourceSeat"/>s (shared with
/// other pools that name the same source) with their weights and the messages each carried for
/// this pool, so each pool's shares follow its own weights. Touched only by the actor's loop.
/// </summary>
internal sealed class PoolSeat(EgressPool pool, IReadOnlyList<PoolMemberSeat> members)
{
    public EgressPool Pool => pool;

    public IReadOnlyList<PoolMemberSeat> Members => members;

    /// <summary>Whether <paramref name="source"/> is one of this pool's.</summary>
    public bool Holds(EgressSource source)
    {
        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].Seat.Source == source)
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>A pool member's seat: the source's seat, its weight in the pool, and the pool's messages it carried over that weight.</summary>
internal sealed class PoolMemberSeat(SourceSeat seat, int weight)
{
    public SourceSeat Seat => seat;

    public int Weight => weight;

    /// <summary>The pool's messages handed to this source's connections, over its weight (while it could not carry, kept level with the others).</summary>
    public double Progress { get; set; }

    /// <summary>One more of the pool's messages handed to its connections.</summary>
    public void Sent() => Progress += 1.0 / weight;
}
