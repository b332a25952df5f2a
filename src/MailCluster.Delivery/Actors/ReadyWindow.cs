using MailCluster.Delivery.Egress;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// The recipients a domain actor has claimed from the spool and not yet handed to a connection,
/// and when to claim more: one claim at a time, and only once half the window is free, so claims
/// are few and large.
/// </summary>
internal sealed class ReadyWindow(int capacity)
{
    private readonly Queue<DeliveryJob> _jobs = new();
    private bool _spoolMayHaveMore = true;

    public int Jobs => _jobs.Count;

    public int Recipients { get; private set; }

    public bool ClaimPending { get; private set; }

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

    /// <summary>A claim returned; fewer recipients than asked for means the spool has no more due now.</summary>
    public void Claimed(IReadOnlyList<DeliveryJob> jobs, int requested)
    {
        ClaimPending = false;
        var recipients = 0;
        foreach (var job in jobs)
        {
            _jobs.Enqueue(job);
            recipients += job.Recipients.Count;
        }
        Recipients += recipients;
        _spoolMayHaveMore = recipients > 0 && recipients >= requested;
    }

    public void ClaimFailed() => ClaimPending = false;

    /// <summary>A job that did not come from a claim (a retry-tier entry): the silo's tier consumer bounds how many there are.</summary>
    public void Add(DeliveryJob job)
    {
        _jobs.Enqueue(job);
        Recipients += job.Recipients.Count;
    }

    /// <summary>The spool has new due recipients for the domain (new mail, a retry time passed).</summary>
    public void SpoolHasMore() => _spoolMayHaveMore = true;

    public bool TryTake(out DeliveryJob job)
    {
        if (!_jobs.TryDequeue(out job!))
        {
            return false;
        }
        Recipients -= job.Recipients.Count;
        return true;
    }

    /// <summary>Empties the window: every job not handed out yet.</summary>
    public List<DeliveryJob> TakeAll()
    {
        var all = _jobs.ToList();
        _jobs.Clear();
        Recipients = 0;
        return all;
    }
}
