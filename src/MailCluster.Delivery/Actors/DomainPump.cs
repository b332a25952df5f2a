using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain actor's decisions after every command: hand out work, open connections, refill the
/// ready window, close lingering connections, tell the site what the domain could use, and notice
/// when the actor has been idle long enough to deactivate. Runs only on the actor's loop, over the
/// parts the actor owns.
/// </summary>
internal sealed class DomainPump(
    IDomainMailbox mailbox, DeliveryRuntime runtime, SiteSeat seat, ReadyWindow ready, WorkerPool workers, WakeTimer timer, SpoolClaims claims,
    Action<Task> track, CancellationToken stopping)
{
    private readonly IdleWatch _idle = new(runtime.Options.ActorIdleTimeout);
    private readonly SourceChoice _choice = new(seat, workers);
    private readonly BlockedPools _blocked = new(runtime.Recorder, runtime.Egress);
    private DateTimeOffset _lastHandOut;

    /// <summary>Decides what to do now; true when the actor has been idle long enough to deactivate.</summary>
    public bool Run()
    {
        if (!seat.Seated)
        {
            return false;
        }
        var now = runtime.Time.GetUtcNow();
        var standing = seat.Read(now);
        switch (standing.Suspended)
        {
            case true:
                ReleaseReady("suspended");
                workers.CloseIdle();
                break;
            case null:
                // No grant yet: nothing is allowed, and the site wakes the actor when one comes.
                break;
            case false when now < standing.PausedUntil:
                workers.CloseIdle();
                timer.At(standing.PausedUntil, now);
                break;
            case false:
                CloseHeldBack(now);
                _blocked.Update(seat, ready, now);
                HandOutJobs(now);
                OpenConnections(now);
                if (claims.Refill(ready, _blocked.Exclusion, now) is { } claim)
                {
                    track(claim);
                }
                CloseLingeringWorkers(now);
                break;
        }
        Want(now);
        return IdleLongEnough(now, standing);
    }

    /// <summary>A worker of <paramref name="source"/> found no usable MX host.</summary>
    public void ConnectFailed(EgressSource source, DeliveryOutcome failure)
    {
        // Other connections still deliver (the host refused just one more), or another source may
        // (this one is blocked or cannot send): back this source off, keep the work.
        var othersConnected = workers.Open - workers.Connecting - 1;
        if (failure.Verdict == DeliveryVerdict.Deferred && (othersConnected > 0 || (failure.SlowDown && seat.OthersUsable(source, runtime.Time.GetUtcNow()))))
        {
            seat.BackOff(failure, source);
            return;
        }
        // No MX host took a session: the verdict holds for every job waiting for this source, not just one.
        foreach (var job in ready.TakeAll(pool => seat.For(pool).Holds(source)))
        {
            runtime.Recorder.SubmitUnattempted(mailbox.Domain, job, failure);
        }
        if (failure.SlowDown)
        {
            seat.BackOff(failure, source);
        }
    }

    /// <summary>Hands every job not yet given to a connection back to the queue.</summary>
    public void ReleaseReady(string reason)
    {
        var jobs = ready.TakeAll();
        if (jobs.Count > 0)
        {
            runtime.Recorder.Release(jobs, reason);
        }
    }

    /// <summary>
    /// Tells the sites what the domain could use: on each source not held back, its open connections
    /// and, for each pool with jobs no idle or opening connection of the pool will take, a share of
    /// one connection per such job by the pool's weights.
    /// </summary>
    private void Want(DateTimeOffset now)
    {
        // Runs after every command: index loops, nothing allocated.
        var sources = seat.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            (sources[i].Wanted, sources[i].WantsMessages) = (sources[i].Asking(now) ? workers.OpenOf(sources[i].Source) : 0, false);
        }
        var pools = ready.Pools;
        for (var p = 0; p < pools.Count; p++)
        {
            if (ready.JobsOf(pools[p]) == 0)
            {
                continue;
            }
            var members = seat.For(pools[p]).Members;
            var (weights, unserved) = (0, ready.JobsOf(pools[p]) - Waiting(members).Ready);
            for (var i = 0; i < members.Count; i++)
            {
                weights += members[i].Seat.Asking(now) ? members[i].Weight : 0;
            }
            for (var i = 0; i < members.Count; i++)
            {
                if (members[i].Seat.Asking(now))
                {
                    members[i].Seat.Wanted += (int)Math.Ceiling((double)Math.Max(0, unserved) * members[i].Weight / weights);
                    members[i].Seat.WantsMessages = true;
                }
            }
        }
        seat.Want();
    }

    /// <summary>
    /// Idle connections of a source whose grant shrank (another silo's fair share, a backoff) or
    /// lapsed say QUIT, and so do those of a source held back (suspended, backed off).
    /// </summary>
    private void CloseHeldBack(DateTimeOffset now)
    {
        var sources = seat.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i].Standing.OverGrant || !sources[i].Usable(now))
            {
                workers.CloseIdle(sources[i].Source);
            }
        }
    }

    /// <summary>
    /// Each job goes to an idle connection of a source its pool's <see cref="MessageShares"/> allow
    /// that has a message token, the one furthest behind first; the pools take turns, a job each.
    /// </summary>
    private void HandOutJobs(DateTimeOffset now)
    {
        TimeSpan? soonest = null;
        var handedOut = true;
        while (handedOut && workers.Idle > 0 && ready.Jobs > 0)
        {
            handedOut = false;
            var pools = ready.Pools;
            for (var p = 0; p < pools.Count; p++)
            {
                var pool = pools[p];
                if (workers.Idle > 0 && ready.JobsOf(pool) > 0 && _choice.PaidMember(seat.For(pool), now, ref soonest) is { } paid)
                {
                    ready.TryTake(pool, out var job);
                    _lastHandOut = now;
                    paid.Sent();
                    workers.HandOut(paid.Seat.Source, job);
                    handedOut = true;
                }
            }
        }
        if (!handedOut && soonest is { } wait)
        {
            runtime.Metrics.ThrottleWait(mailbox.Domain);
            timer.At(now + wait, now);
        }
    }

    /// <summary>For each pool's work that no open or opening connection of its sources will take: a connection of an allowed source without an idle one, never above the site's limit per source.</summary>
    private void OpenConnections(DateTimeOffset now)
    {
        TimeSpan? retryIn = null;
        var pools = ready.Pools;
        for (var p = 0; p < pools.Count; p++)
        {
            var pool = seat.For(pools[p]);
            // At every source's limit (the steady state under load) this returns at once: it runs after every command.
            while (Waiting(pool.Members) is var (waiting, open) && ready.JobsOf(pools[p]) > waiting && open < seat.Shaping!.MaxConnections * pool.Members.Count)
            {
                if (_choice.TryAcquireConnection(pool, now, out var slot, ref retryIn) is not { } source)
                {
                    break;
                }
                var worker = new ConnectionWorker(mailbox, runtime, seat.Shaping, slot!, source.Source);
                workers.Started(source.Source, Task.Run(() => worker.RunAsync(stopping)));
            }
        }
        if (retryIn is { } r)
        {
            runtime.Metrics.ThrottleWait(mailbox.Domain);
            timer.At(now + r, now);
        }
    }

    /// <summary>The connections of a pool's sources that will take a job without a new one (idle or still connecting), and all open.</summary>
    private (int Ready, int Open) Waiting(IReadOnlyList<PoolMemberSeat> members)
    {
        var (waiting, open) = (0, 0);
        for (var i = 0; i < members.Count; i++)
        {
            var source = members[i].Seat.Source;
            (waiting, open) = (waiting + workers.IdleOf(source) + workers.ConnectingOf(source), open + workers.OpenOf(source));
        }
        return (waiting, open);
    }

    /// <summary>Idle connections wait a little for new mail (reuse saves a TCP and TLS setup); then they QUIT.</summary>
    private void CloseLingeringWorkers(DateTimeOffset now)
    {
        if (ready.Jobs > 0 || ready.ClaimPending || workers.Idle == 0)
        {
            return;
        }
        var closeAt = _lastHandOut + runtime.Options.ConnectionLinger;
        if (now >= closeAt)
        {
            workers.CloseIdle();
        }
        else
        {
            timer.At(closeAt, now);
        }
    }

    private bool IdleLongEnough(DateTimeOffset now, SiteStanding standing)
    {
        // A domain in backoff stays active; so does one still waiting for its first grant.
        var busy = workers.Open > 0 || ready.Jobs > 0 || ready.ClaimPending || workers.JobsInFlight > 0 || now < standing.PausedUntil
            || standing.Suspended is null;
        if (_idle.Expired(busy, now, out var lookAgainAt))
        {
            return true;
        }
        if (lookAgainAt is { } at)
        {
            timer.At(at, now);
        }
        return false;
    }
}
