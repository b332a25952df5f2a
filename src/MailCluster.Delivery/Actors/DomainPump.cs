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
                if (standing.OverGrant)
                {
                    // The grant shrank (another silo's fair share, a backoff) or lapsed: idle connections above it say QUIT.
                    workers.CloseIdle();
                }
                HandOutJobs(now);
                OpenConnections(now);
                if (claims.Refill(ready, now) is { } claim)
                {
                    track(claim);
                }
                CloseLingeringWorkers(now);
                break;
        }
        seat.Want(WantedConnections(), messages: ready.Jobs > 0);
        return IdleLongEnough(now, standing);
    }

    /// <summary>A worker found no usable MX host.</summary>
    public void ConnectFailed(DeliveryOutcome failure)
    {
        // Other connections still deliver (the host refused just one more): back off, keep the work.
        var othersConnected = workers.Open - workers.Connecting - 1;
        if (othersConnected > 0 && failure.Verdict == DeliveryVerdict.Deferred)
        {
            seat.BackOff(failure.Reason);
            return;
        }
        // No MX host took a session: the verdict holds for the whole ready window, not just one job.
        foreach (var job in ready.TakeAll())
        {
            runtime.Recorder.SubmitUnattempted(mailbox.Domain, job, failure);
        }
        if (failure.SlowDown)
        {
            seat.BackOff(failure.Reason);
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

    /// <summary>Connections this domain could use now: those open, and one for each job no open or opening connection will take.</summary>
    private int WantedConnections() =>
        Math.Min(seat.Shaping!.MaxConnections, workers.Open + Math.Max(0, ready.Jobs - workers.Idle - workers.Connecting));

    private void HandOutJobs(DateTimeOffset now)
    {
        while (workers.Idle > 0 && ready.Jobs > 0)
        {
            if (!seat.TryTakeMessage(now, out var wait))
            {
                runtime.Metrics.ThrottleWait(mailbox.Domain);
                if (wait is { } w)
                {
                    timer.At(now + w, now);
                }
                return;
            }
            ready.TryTake(out var job);
            _lastHandOut = now;
            workers.HandOut(job);
        }
    }

    private void OpenConnections(DateTimeOffset now)
    {
        var shaping = seat.Shaping!;
        // Only for work that no open or opening connection will take, and never above the domain's own limit.
        while (ready.Jobs > workers.Idle + workers.Connecting && workers.Open < shaping.MaxConnections)
        {
            if (!seat.TryAcquireConnection(now, out var lease, out var retryIn))
            {
                if (retryIn is { } r)
                {
                    runtime.Metrics.ThrottleWait(mailbox.Domain);
                    timer.At(now + r, now);
                }
                return;
            }
            var worker = new ConnectionWorker(mailbox, runtime, shaping, lease);
            workers.Started(Task.Run(() => worker.RunAsync(stopping)));
        }
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
