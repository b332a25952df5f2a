using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Spool;

namespace MailCluster.Delivery.Actors;

/// <summary>The actor's decisions after every command: hand out work, open connections, refill, back off, go idle.</summary>
internal sealed partial class DomainActor
{
    private void Pump()
    {
        if (_shaping is null)
        {
            return;
        }
        var now = _runtime.Time.GetUtcNow();
        if (_runtime.Suspensions.Contains(Domain))
        {
            ReleaseReady();
            _workers.CloseIdle();
        }
        else if (_concurrency.IsPaused(now))
        {
            _workers.CloseIdle();
            _timer.At(_concurrency.PausedUntil, now);
        }
        else
        {
            HandOutJobs(now);
            OpenConnections(now);
            Refill(now);
            CloseLingeringWorkers(now);
        }
        CheckIdle(now);
    }

    private void HandOutJobs(DateTimeOffset now)
    {
        while (_workers.Idle > 0 && _ready.Jobs > 0)
        {
            if (_throttle!.Messages is { } rate && !rate.TryTake(out var wait))
            {
                _runtime.Metrics.ThrottleWait(Domain);
                _timer.At(now + wait, now);
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
        // Only for work that no open or opening connection will take.
        while (_ready.Jobs > _workers.Idle + _workers.Connecting && _workers.Open < _concurrency.Cap)
        {
            if (_throttle!.NewConnections is { } rate && !rate.TryTake(out var wait))
            {
                _runtime.Metrics.ThrottleWait(Domain);
                _timer.At(now + wait, now);
                return;
            }
            if (!_throttle.TryAcquireConnection(out var lease))
            {
                _timer.At(now + SiteSlotRecheck, now);
                return;
            }
            var worker = new ConnectionWorker(this, _runtime, _shaping!, lease);
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
            _concurrency.Clean();
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
        _concurrency.BackOff(_runtime.Time.GetUtcNow(), _shaping!.BackoffPeriod);
        _runtime.Metrics.BackedOff(Domain);
        Log.BackingOff(_runtime.Logger, Domain, _shaping.BackoffPeriod, _concurrency.Cap, reason);
    }

    private void ReleaseReady()
    {
        var jobs = _ready.TakeAll();
        if (jobs.Count > 0)
        {
            _runtime.Recorder.Release([.. jobs.SelectMany(j => j.Recipients)]);
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
        // A domain in backoff stays active: a fresh actor would forget the pause and the reduced cap.
        var busy = _workers.Open > 0 || _ready.Jobs > 0 || _ready.ClaimPending || _jobsInFlight > 0 || _concurrency.IsPaused(now);
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
            _deactivate(this);
            _mailbox.Writer.TryComplete();
        }
        else
        {
            _timer.At(deadline, now);
        }
    }
}
