using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Spool;

namespace MailCluster.Delivery.Actors;

/// <summary>The actor's decisions after every command: hand out work, open connections, refill, back off, go idle.</summary>
public sealed partial class DomainActor
{
    /// <summary>Successful transactions after a backoff before one more connection is allowed again.</summary>
    private const int RecoveryStep = 10;

    private void Pump()
    {
        if (_shaping is null)
        {
            return;
        }
        var now = _runtime.Time.GetUtcNow();
        if (_suspended)
        {
            ReleaseReady();
            CloseIdleWorkers();
        }
        else if (now < _pausedUntil)
        {
            CloseIdleWorkers();
            Schedule(_pausedUntil, now);
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
        while (_idleWorkers.Count > 0 && _ready.Count > 0)
        {
            if (_throttle!.Messages is { } rate && !rate.TryTake(out var wait))
            {
                _runtime.Metrics.ThrottleWait(Domain);
                Schedule(now + wait, now);
                return;
            }
            var job = _ready.Dequeue();
            _lastHandOut = now;
            _readyRecipients -= job.Recipients.Count;
            _jobsInFlight++;
            _idleWorkers.Dequeue().TrySetResult(job);
        }
    }

    private void OpenConnections(DateTimeOffset now)
    {
        // Only for work that no open or opening connection will take.
        while (_ready.Count > _idleWorkers.Count + _connecting && Volatile.Read(ref _workers) < _concurrencyCap)
        {
            if (_throttle!.NewConnections is { } rate && !rate.TryTake(out var wait))
            {
                _runtime.Metrics.ThrottleWait(Domain);
                Schedule(now + wait, now);
                return;
            }
            if (!_throttle.TryAcquireConnection(out var lease))
            {
                // The site's slots are held by other domains' actors; look again shortly.
                Schedule(now + TimeSpan.FromMilliseconds(250), now);
                return;
            }
            Interlocked.Increment(ref _workers);
            _connecting++;
            var worker = new ConnectionWorker(this, _runtime, _shaping!, lease);
            _workerTasks.Add(Task.Run(() => worker.RunAsync(_stopping.Token)));
        }
    }

    private void Refill(DateTimeOffset now)
    {
        var room = _runtime.Options.ReadyWindow - _readyRecipients;
        if (_claimPending || !_spoolMayHaveMore || room < _runtime.Options.ReadyWindow / 2)
        {
            return;
        }
        _claimPending = true;
        _ = ClaimAsync(now, room);
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
            TryPost(new DomainCommand.ClaimFailed(exception.Message));
            return;
        }
        try
        {
            await PostAsync(new DomainCommand.Claimed(claimed, limit));
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            // The actor stopped meanwhile: what it claimed goes straight back to the queue.
            _runtime.Recorder.Release(Jobs(claimed));
        }
    }

    private void OnAttemptFinished(JobResult result)
    {
        if (result.Outcomes.FirstOrDefault(o => o.SlowDown) is { } signal)
        {
            BackOff(signal.Reason);
        }
        else if (result.Outcomes.All(o => o.Verdict == DeliveryVerdict.Delivered)
            && ++_cleanJobsSinceBackoff >= RecoveryStep && _concurrencyCap < _shaping!.MaxConnections)
        {
            // Recover gradually: one more connection per run of clean transactions.
            _concurrencyCap++;
            _cleanJobsSinceBackoff = 0;
        }
    }

    private void OnConnectFailed(DeliveryOutcome failure)
    {
        // Other connections still deliver (the host refused just one more): back off, keep the work.
        var othersConnected = Volatile.Read(ref _workers) - _connecting - 1;
        if (othersConnected > 0 && failure.Verdict == DeliveryVerdict.Deferred)
        {
            BackOff(failure.Reason);
            return;
        }
        // No MX host took a session: the verdict holds for the whole ready window, not just one job.
        foreach (var job in _ready)
        {
            _ = _runtime.Recorder.RecordUnattempted(Domain, job, failure);
        }
        _ready.Clear();
        _readyRecipients = 0;
        if (failure.SlowDown)
        {
            BackOff(failure.Reason);
        }
    }

    private void BackOff(string reason)
    {
        var now = _runtime.Time.GetUtcNow();
        _pausedUntil = now + _shaping!.BackoffPeriod;
        _concurrencyCap = Math.Max(1, _concurrencyCap / 2);
        _cleanJobsSinceBackoff = 0;
        _runtime.Metrics.BackedOff(Domain);
        Log.BackingOff(_runtime.Logger, Domain, _shaping.BackoffPeriod, _concurrencyCap, reason);
    }

    private void ReleaseReady()
    {
        if (_ready.Count > 0)
        {
            _runtime.Recorder.Release(_ready.ToList());
            _ready.Clear();
            _readyRecipients = 0;
        }
    }

    /// <summary>Idle connections wait a little for new mail (reuse saves a TCP and TLS setup); then they QUIT.</summary>
    private void CloseLingeringWorkers(DateTimeOffset now)
    {
        if (_ready.Count > 0 || _claimPending || _idleWorkers.Count == 0)
        {
            return;
        }
        var closeAt = _lastHandOut + _runtime.Options.ConnectionLinger;
        if (now >= closeAt)
        {
            CloseIdleWorkers();
        }
        else
        {
            Schedule(closeAt, now);
        }
    }

    private void CloseIdleWorkers()
    {
        while (_idleWorkers.TryDequeue(out var worker))
        {
            worker.TrySetResult(null);
        }
    }

    private void CheckIdle(DateTimeOffset now)
    {
        // A domain in backoff stays active: a fresh actor would forget the pause and the reduced cap.
        var busy = Volatile.Read(ref _workers) > 0 || _ready.Count > 0 || _claimPending || _jobsInFlight > 0 || now < _pausedUntil;
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
            Deactivate(this);
            _mailbox.Writer.TryComplete();
        }
        else
        {
            Schedule(deadline, now);
        }
    }

    /// <summary>One timer at a time, set for the earliest moment something should be looked at again.</summary>
    private void Schedule(DateTimeOffset at, DateTimeOffset now)
    {
        // A timer already set for earlier still stands; one whose moment passed (its Tick lost to a full mailbox) does not.
        if (at >= _timerDue && _timerDue > now)
        {
            return;
        }
        _timerDue = at;
        _timer?.Dispose();
        _timer = _runtime.Time.CreateTimer(_ => TryPost(new DomainCommand.Tick()), null, at - now, Timeout.InfiniteTimeSpan);
    }
}
