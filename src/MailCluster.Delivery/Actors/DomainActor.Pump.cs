using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Spool;

namespace MailCluster.Delivery.Actors;

/// <summary>The actor's decisions after every command: hand out work, open connections, refill, back off, go idle.</summary>
internal sealed partial class DomainActor
{
    private void Pump()
    {
        if (_shaping is null || _limiter is null)
        {
            return;
        }
        var now = _runtime.Time.GetUtcNow();
        _standing = _limiter.Standing(Domain, now);
        switch (_standing.Suspended)
        {
            case true:
                ReleaseReady();
                _workers.CloseIdle();
                break;
            case null:
                // No grant yet: nothing is allowed, and the limiter wakes the actor when one comes.
                break;
            case false when now < _standing.PausedUntil:
                _workers.CloseIdle();
                _timer.At(_standing.PausedUntil, now);
                break;
            case false:
                if (_standing.OverGrant)
                {
                    // The grant shrank (another silo's fair share, a backoff) or lapsed: idle connections above it say QUIT.
                    _workers.CloseIdle();
                }
                HandOutJobs(now);
                OpenConnections(now);
                Refill(now);
                CloseLingeringWorkers(now);
                break;
        }
        _limiter.Want(Domain, WantedConnections(), messages: _ready.Jobs > 0);
        CheckIdle(now);
    }

    /// <summary>Connections this domain could use now: those open, and one for each job no open or opening connection will take.</summary>
    private int WantedConnections() =>
        Math.Min(_shaping!.MaxConnections, _workers.Open + Math.Max(0, _ready.Jobs - _workers.Idle - _workers.Connecting));

    private void HandOutJobs(DateTimeOffset now)
    {
        while (_workers.Idle > 0 && _ready.Jobs > 0)
        {
            if (!_limiter!.TryTakeMessage(now, out var wait))
            {
                _runtime.Metrics.ThrottleWait(Domain);
                if (wait is { } w)
                {
                    _timer.At(now + w, now);
                }
                return;
            }
            _ready.TryTake(out var job);
            _lastHandOut = now;
            _jobsInFlight++;
            _workers.HandOut(job);
        }
    }

    private void OpenConnections(DateTimeOffset now)
    {
        // Only for work that no open or opening connection will take, and never above the domain's own limit.
        while (_ready.Jobs > _workers.Idle + _workers.Connecting && _workers.Open < _shaping!.MaxConnections)
        {
            if (!_limiter!.TryAcquireConnection(now, out var lease, out var retryIn))
            {
                if (retryIn is { } r)
                {
                    _runtime.Metrics.ThrottleWait(Domain);
                    _timer.At(now + r, now);
                }
                return;
            }
            var worker = new ConnectionWorker(this, _runtime, _shaping, lease);
            _workers.Started(Task.Run(() => worker.RunAsync(_stopping.Token)));
        }
    }

    private void Refill(DateTimeOffset now)
    {
        if (_ready.TryStartClaim(out var limit))
        {
            Track(ClaimAsync(now, limit));
        }
    }

    private async Task ClaimAsync(DateTimeOffset now, int limit)
    {
        IReadOnlyList<DueRecipient> claimed;
        try
        {
            claimed = await _runtime.Spool.ClaimDueAsync(Domain, now, limit, CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            await PostAsync(new DomainCommand.ClaimFailed(exception.Message));
            return;
        }
        if (!await PostAsync(new DomainCommand.Claimed(claimed, limit)))
        {
            // The actor stopped meanwhile: what it claimed goes straight back to the queue.
            _runtime.Recorder.Release(claimed);
        }
    }

    private void OnAttemptFinished(JobResult result)
    {
        if (result.Outcomes.FirstOrDefault(o => o.SlowDown) is { } signal)
        {
            BackOff(signal.Reason);
        }
        else if (result.Outcomes.All(o => o.Verdict == DeliveryVerdict.Delivered))
        {
            _limiter?.Clean();
        }
    }

    private void OnConnectFailed(DeliveryOutcome failure)
    {
        // Other connections still deliver (the host refused just one more): back off, keep the work.
        var othersConnected = _workers.Open - _workers.Connecting - 1;
        if (othersConnected > 0 && failure.Verdict == DeliveryVerdict.Deferred)
        {
            BackOff(failure.Reason);
            return;
        }
        // No MX host took a session: the verdict holds for the whole ready window, not just one job.
        foreach (var job in _ready.TakeAll())
        {
            _runtime.Recorder.SubmitUnattempted(Domain, job, failure);
        }
        if (failure.SlowDown)
        {
            BackOff(failure.Reason);
        }
    }

    private void BackOff(string reason)
    {
        _limiter?.SlowedDown(_runtime.Time.GetUtcNow(), _shaping!.BackoffPeriod);
        _runtime.Metrics.BackedOff(Domain);
        Log.BackingOff(_runtime.Logger, Domain, _shaping!.BackoffPeriod, reason);
    }

    private void ReleaseReady()
    {
        var jobs = _ready.TakeAll();
        if (jobs.Count > 0)
        {
            _runtime.Recorder.Release(jobs, _stopped ? "stopping" : "suspended");
        }
    }

    /// <summary>Idle connections wait a little for new mail (reuse saves a TCP and TLS setup); then they QUIT.</summary>
    private void CloseLingeringWorkers(DateTimeOffset now)
    {
        if (_ready.Jobs > 0 || _ready.ClaimPending || _workers.Idle == 0)
        {
            return;
        }
        var closeAt = _lastHandOut + _runtime.Options.ConnectionLinger;
        if (now >= closeAt)
        {
            _workers.CloseIdle();
        }
        else
        {
            _timer.At(closeAt, now);
        }
    }

    private void CheckIdle(DateTimeOffset now)
    {
        // A domain in backoff stays active; so does one still waiting for its first grant.
        var busy = _workers.Open > 0 || _ready.Jobs > 0 || _ready.ClaimPending || _jobsInFlight > 0 || now < _standing.PausedUntil
            || _standing.Suspended is null;
        if (busy)
        {
            _idleSince = DateTimeOffset.MaxValue;
            return;
        }
        if (_idleSince == DateTimeOffset.MaxValue)
        {
            _idleSince = now;
        }
        var deadline = _idleSince + _runtime.Options.ActorIdleTimeout;
        if (now >= deadline)
        {
            _stopped = true;
            LeaveSite();
            _deactivate(this);
            _mailbox.Writer.TryComplete();
        }
        else
        {
            _timer.At(deadline, now);
        }
    }
}
