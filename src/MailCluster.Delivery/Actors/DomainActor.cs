using System.Threading.Channels;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Shaping;
using MailCluster.Spool;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// The one owner of a destination domain's delivery in this silo: its ready window (recipients
/// claimed from the spool), connection and rate limits, adaptive backoff and suspension. All of
/// its state is touched only by its loop, one command at a time, so it needs no locks; connection
/// workers talk to it through the bounded mailbox.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The stop token has no timer; workers may still observe it after the loop ends, so it is not disposed.")]
public sealed partial class DomainActor
{
    private const int MailboxCapacity = 1024;

    private readonly DeliveryRuntime _runtime;
    private readonly Channel<DomainCommand> _mailbox;
    private readonly Queue<DeliveryJob> _ready = new();
    private readonly Queue<TaskCompletionSource<DeliveryJob?>> _idleWorkers = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _workerTasks = [];
    private DomainShaping? _shaping;
    private SiteThrottle? _throttle;
    private int _workers;
    private int _connecting;
    private int _jobsInFlight;
    private int _readyRecipients;
    private bool _claimPending;
    private bool _spoolMayHaveMore = true;
    private bool _suspended;
    private bool _stopped;
    private int _concurrencyCap;
    private int _cleanJobsSinceBackoff;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;
    private DateTimeOffset _idleSince;
    private DateTimeOffset _lastHandOut;
    private ITimer? _timer;
    private DateTimeOffset _timerDue = DateTimeOffset.MaxValue;

    internal DomainActor(string domain, DeliveryRuntime runtime, bool suspended, Action<DomainActor> deactivate)
    {
        Domain = domain;
        _runtime = runtime;
        _suspended = suspended;
        Deactivate = deactivate;
        _idleSince = DateTimeOffset.MaxValue;
        _mailbox = Channel.CreateBounded<DomainCommand>(new BoundedChannelOptions(MailboxCapacity) { SingleReader = true });
        Completion = Task.Run(RunAsync);
    }

    public string Domain { get; }

    /// <summary>Completes when the actor has stopped (deactivated or shut down).</summary>
    public Task Completion { get; }

    /// <summary>True while the domain is paused by backoff (for metrics and the admin API).</summary>
    public bool IsBackingOff => _runtime.Time.GetUtcNow() < _pausedUntil;

    public int ActiveConnections => Volatile.Read(ref _workers);

    public bool IsSuspended => _suspended;

    private Action<DomainActor> Deactivate { get; }

    /// <summary>Posts without waiting; false when the mailbox is full or the actor has stopped.</summary>
    internal bool TryPost(DomainCommand command) => _mailbox.Writer.TryWrite(command);

    internal ValueTask PostAsync(DomainCommand command) => _mailbox.Writer.WriteAsync(command);

    private async Task RunAsync()
    {
        Post(StartShaping());
        await foreach (var command in _mailbox.Reader.ReadAllAsync())
        {
            try
            {
                Handle(command);
                if (!_stopped)
                {
                    Pump();
                }
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // A bug in one command must not strand the domain: log it and go on with the next.
                Log.ActorFault(_runtime.Logger, Domain, exception);
            }
        }
        _timer?.Dispose();
    }

    private void Handle(DomainCommand command)
    {
        if (_stopped)
        {
            // Draining the mailbox after Stop or deactivation: nothing may be left hanging.
            switch (command)
            {
                case DomainCommand.JobRequested request:
                    request.Reply.TrySetResult(null);
                    break;
                case DomainCommand.Claimed claimed:
                    _runtime.Recorder.Release(Jobs(claimed.Recipients));
                    break;
                case DomainCommand.Stop stop:
                    stop.Done.TrySetResult();
                    break;
            }
            return;
        }
        switch (command)
        {
            case DomainCommand.ShapingResolved resolved:
                // Workers already open keep their old throttle's slot until they close.
                _shaping = resolved.Shaping;
                _throttle = _runtime.Sites.For(Domain, resolved.Shaping);
                // A domain in backoff keeps its reduced cap (within the new limit); otherwise the new limit applies.
                _concurrencyCap = IsBackingOff ? Math.Min(_concurrencyCap, resolved.Shaping.MaxConnections) : resolved.Shaping.MaxConnections;
                break;
            case DomainCommand.Reshape:
                Post(StartShaping());
                break;
            case DomainCommand.RecipientsDue:
                _spoolMayHaveMore = true;
                break;
            case DomainCommand.Tick:
                _timerDue = DateTimeOffset.MaxValue;
                break;
            case DomainCommand.Claimed claimed:
                _claimPending = false;
                _spoolMayHaveMore = claimed.Recipients.Count > 0 && claimed.Recipients.Count >= claimed.Requested;
                Enqueue(claimed.Recipients);
                break;
            case DomainCommand.ClaimFailed failed:
                _claimPending = false;
                Log.ClaimFailed(_runtime.Logger, Domain, failed.Reason);
                break;
            case DomainCommand.JobRequested request:
                _connecting -= request.First ? 1 : 0;
                _idleWorkers.Enqueue(request.Reply);
                break;
            case DomainCommand.AttemptFinished finished:
                _jobsInFlight--;
                OnAttemptFinished(finished.Result);
                break;
            case DomainCommand.ConnectFailed failed:
                _connecting--;
                OnConnectFailed(failed.Failure);
                break;
            case DomainCommand.WorkerExited:
                _workerTasks.RemoveAll(t => t.IsCompleted);
                break;
            case DomainCommand.Suspend:
                _suspended = true;
                Log.Suspended(_runtime.Logger, Domain);
                break;
            case DomainCommand.Resume:
                _suspended = false;
                Log.Resumed(_runtime.Logger, Domain);
                break;
            case DomainCommand.Stop stop:
                StopNow(stop.Done);
                break;
        }
    }

    private DomainCommand StartShaping()
    {
        if (!_runtime.Shaping.HasMxRules)
        {
            return new DomainCommand.ShapingResolved(_runtime.Shaping.Resolve(Domain, primaryMx: null));
        }
        _ = ResolveShapingAsync();
        return new DomainCommand.Tick();
    }

    private async Task ResolveShapingAsync()
    {
        string? mx = null;
        try
        {
            mx = await _runtime.Connector.PrimaryMxAsync(Domain, _stopping.Token);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Without the MX name the domain still gets its exact, wildcard or default limits.
            Log.ActorFault(_runtime.Logger, Domain, exception);
        }
        TryPost(new DomainCommand.ShapingResolved(_runtime.Shaping.Resolve(Domain, mx)));
    }

    private void Enqueue(IReadOnlyList<DueRecipient> recipients)
    {
        _readyRecipients += recipients.Count;
        foreach (var job in Jobs(recipients))
        {
            _ready.Enqueue(job);
        }
    }

    /// <summary>Recipients of one message arrive together: one transaction per message, up to the per-transaction limit.</summary>
    private List<DeliveryJob> Jobs(IReadOnlyList<DueRecipient> recipients)
    {
        var perTransaction = _shaping?.MaxRecipientsPerTransaction ?? 100;
        var jobs = new List<DeliveryJob>();
        var batch = new List<DueRecipient>();
        foreach (var recipient in recipients)
        {
            if (batch.Count > 0 && (batch.Count == perTransaction || batch[0].Message != recipient.Message))
            {
                jobs.Add(new DeliveryJob(batch[0].Message, batch));
                batch = [];
            }
            batch.Add(recipient);
        }
        if (batch.Count > 0)
        {
            jobs.Add(new DeliveryJob(batch[0].Message, batch));
        }
        return jobs;
    }

    private void Post(DomainCommand command)
    {
        if (!_mailbox.Writer.TryWrite(command))
        {
            _ = PostAsync(command).AsTask();
        }
    }

    private void StopNow(TaskCompletionSource done)
    {
        _stopped = true;
        _stopping.Cancel();
        ReleaseReady();
        CloseIdleWorkers();
        _mailbox.Writer.TryComplete();
        // Workers finish the transaction they are in (its outcome is recorded), then close.
        _ = Task.WhenAll(_workerTasks).ContinueWith(_ => done.TrySetResult(), TaskScheduler.Default);
    }

    /// <summary>Called by a worker as it ends, whatever happened to it.</summary>
    internal void WorkerDone()
    {
        Interlocked.Decrement(ref _workers);
        TryPost(new DomainCommand.WorkerExited());
    }
}
