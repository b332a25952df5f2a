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
    private readonly List<SourceSeat> _allowed = [];
    private Func<SourceSeat, DateTimeOffset, bool>? _carrying;
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
                HandOutJobs(now);
                OpenConnections(now);
                if (claims.Refill(ready, now) is { } claim)
                {
                    track(claim);
                }
                CloseLingeringWorkers(now);
                break;
        }
        seat.Want(WantedConnections(), messages: ready.Jobs > 0, now);
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
            seat.BackOff(failure.Reason, source);
            return;
        }
        // No MX host took a session: the verdict holds for the whole ready window, not just one job.
        foreach (var job in ready.TakeAll())
        {
            runtime.Recorder.SubmitUnattempted(mailbox.Domain, job, failure);
        }
        if (failure.SlowDown)
        {
            seat.BackOff(failure.Reason, source);
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
        Math.Min(seat.Shaping!.MaxConnections * seat.Sources.Count, workers.Open + Math.Max(0, ready.Jobs - workers.Idle - workers.Connecting));

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

    /// <summary>The sources that may take the next message (<see cref="MessageShares"/>).</summary>
    private IReadOnlyList<SourceSeat> Allowed(DateTimeOffset now) => MessageShares.Allowed(seat.Sources, _carrying ??= Carrying, now, _allowed);

    /// <summary>Each job goes to an idle connection of a source allowed by <see cref="MessageShares"/> that has a message token, the one furthest behind first.</summary>
    private void HandOutJobs(DateTimeOffset now)
    {
        while (workers.Idle > 0 && ready.Jobs > 0)
        {
            TimeSpan? soonest = null;
            SourceSeat? paid = null;
            var allowed = Allowed(now);
            for (var i = 0; i < allowed.Count && paid is null; i++)
            {
                if (workers.IdleOf(allowed[i].Source) > 0 && TryTakeMessage(allowed[i], now, ref soonest))
                {
                    paid = allowed[i];
                }
            }
            if (paid is null)
            {
                if (soonest is { } w)
                {
                    runtime.Metrics.ThrottleWait(mailbox.Domain);
                    timer.At(now + w, now);
                }
                return;
            }
            ready.TryTake(out var job);
            _lastHandOut = now;
            paid.Sent();
            workers.HandOut(paid.Source, job);
        }
    }

    /// <summary>The source can take mail now: granted, not held back, with a connection open or room for one (at the site's total too).</summary>
    private bool Carrying(SourceSeat source, DateTimeOffset now) =>
        source.Usable(now) && (workers.OpenOf(source.Source) > 0 || (source.Standing.Granted > source.Standing.Held && seat.TotalRoom(now)));

    /// <summary>A message token of the source's share, then of the site total's (a source token spent when the total has none errs on the side of sending less).</summary>
    private bool TryTakeMessage(SourceSeat source, DateTimeOffset now, ref TimeSpan? soonest)
    {
        if (source.Limiter.TryTakeMessage(now, out var wait) && (seat.Total is not { } total || total.TryTakeMessage(now, out wait)))
        {
            return true;
        }
        soonest = wait is { } w && (soonest is null || w < soonest) ? w : soonest;
        return false;
    }

    /// <summary>For work that no open or opening connection will take: a connection of an allowed source without an idle one, never above the site's limit per source.</summary>
    private void OpenConnections(DateTimeOffset now)
    {
        var shaping = seat.Shaping!;
        // At every source's limit (the steady state under load) this returns at once: it runs after every command.
        while (ready.Jobs > workers.Idle + workers.Connecting && workers.Open < shaping.MaxConnections * seat.Sources.Count)
        {
            if (TryAcquireConnection(now, shaping, out var slot, out var retryIn) is not { } source)
            {
                if (retryIn is { } r)
                {
                    runtime.Metrics.ThrottleWait(mailbox.Domain);
                    timer.At(now + r, now);
                }
                return;
            }
            var worker = new ConnectionWorker(mailbox, runtime, shaping, slot!, source.Source);
            workers.Started(source.Source, Task.Run(() => worker.RunAsync(stopping)));
        }
    }

    /// <summary>
    /// Slots for a connection from the first allowed source without an idle connection and below
    /// the site's limit that has room, at the site's total too when a rule caps it; otherwise the
    /// soonest a new-connection token accrues.
    /// </summary>
    private SourceSeat? TryAcquireConnection(DateTimeOffset now, DomainShaping shaping, out ConnectionSlot? slot, out TimeSpan? retryIn)
    {
        (slot, retryIn) = (null, null);
        var allowed = Allowed(now);
        for (var i = 0; i < allowed.Count; i++)
        {
            var source = allowed[i];
            if (workers.IdleOf(source.Source) > 0 || workers.OpenOf(source.Source) >= shaping.MaxConnections)
            {
                continue;
            }
            SiteConnectionLease? total = null;
            if (seat.Total is { } site && !site.TryAcquireConnection(now, out total, out var totalWait))
            {
                retryIn = totalWait;
                return null;
            }
            if (source.Limiter.TryAcquireConnection(now, out var lease, out var wait))
            {
                slot = new ConnectionSlot(lease, total);
                return source;
            }
            total?.Dispose();
            retryIn = wait is { } w && (retryIn is null || w < retryIn) ? w : retryIn;
        }
        return null;
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
