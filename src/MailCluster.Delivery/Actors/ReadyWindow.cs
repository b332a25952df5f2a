using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Egress.Sources;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// The recipients a domain actor has claimed from the spool and not yet handed to a connection, a
/// queue per egress pool (so mail waiting for a blocked pool never holds up another pool's), and
/// when to claim more: one claim at a time, and only once half the window is free, so claims are
/// few and large.
/// </summary>
internal sealed class ReadyWindow(int capacity)
{
    private readonly Dictionary<EgressPool, Queue<DeliveryJob>> _byPool = new(ReferenceEqualityComparer.Instance);
    private readonly List<EgressPool> _pools = [];
    private bool _spoolMayHaveMore = true;

    public int Jobs { get; private set; }

    public int Recipients { get; private set; }

    public bool ClaimPending { get; private set; }

    /// <summary>Every pool that has had jobs here, in the order they first came.</summary>
    public IReadOnlyList<EgressPool> Pools => _pools;

    public int JobsOf(EgressPool pool) => _byPool.TryGetValue(pool, out var jobs) ? jobs.Count : 0;

    /// <summary>True, with how many recipients to claim, when a claim should start now; it is then pending.</summary>
    public bool TryStartClaim(out int limit)
    {
        limit = capacity - Recipients;
        if (ClaimPending || !_spoolMayHaveMore || limit <= 0 || limit < capacity / 2)
        {
            return false;
        }
        ClaimPending = true;
        return true;
    }

    /// <summary>A claim returned <paramref name="claimed"/> recipients (its jobs were <see cref="Add"/>ed); fewer than asked for means the spool has no more due now.</summary>
    public void Claimed(int claimed, int requested)
    {
        ClaimPending = false;
        _spoolMayHaveMore = claimed > 0 && claimed >= requested;
    }

    public void ClaimFailed() => ClaimPending = false;

    /// <summary>A job for <paramref name="pool"/>'s sources, from a claim or the retry tier (whose consumer bounds how many it hands over).</summary>
    public void Add(DeliveryJob job, EgressPool pool)
    {
        if (!_byPool.TryGetValue(pool, out var jobs))
        {
            _byPool[pool] = jobs = new Queue<DeliveryJob>();
            _pools.Add(pool);
        }
        jobs.Enqueue(job);
        Jobs++;
        Recipients += job.Recipients.Count;
    }

    /// <summary>The spool has new due recipients for the domain (new mail, a retry time passed).</summary>
    public void SpoolHasMore() => _spoolMayHaveMore = true;

    public bool TryTake(EgressPool pool, out DeliveryJob job)
    {
        job = null!;
        if (!_byPool.TryGetValue(pool, out var jobs) || !jobs.TryDequeue(out job!))
        {
            return false;
        }
        Jobs--;
        Recipients -= job.Recipients.Count;
        return true;
    }

    /// <summary>Empties the window: every job not handed out yet.</summary>
    public List<DeliveryJob> TakeAll() => TakeAll(static _ => true);

    /// <summary>Every job not handed out yet of the pools <paramref name="of"/> picks.</summary>
    public List<DeliveryJob> TakeAll(Func<EgressPool, bool> of)
    {
        var taken = new List<DeliveryJob>();
        foreach (var pool in _pools)
        {
            if (of(pool))
            {
                taken.AddRange(_byPool[pool]);
                _byPool[pool].Clear();
            }
        }
        Jobs -= taken.Count;
        Recipients -= taken.Sum(job => job.Recipients.Count);
        return taken;
    }
}
