using System.Threading.Channels;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// The one owner of a destination domain's delivery in this silo: a bounded mailbox and one loop
/// that handles a command, lets its <see cref="DomainPump"/> decide what follows, and publishes a
/// <see cref="Snapshot"/> for other threads. Its parts — the <see cref="SiteSeat"/> (limits from the
/// site's <see cref="SiteLimiter"/>), the ready window, the worker pool and the wake timer — are
/// touched only by the loop, one command at a time, so they need no locks; connection workers,
/// spool claims and lookups talk to it through the mailbox.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The stop token has no timer; workers may still observe it after the loop ends, so it is not disposed.")]
internal sealed class DomainActor : IDomainMailbox
{
    private const int MailboxCapacity = 1024;

    private readonly DeliveryRuntime _runtime;
    private readonly Action<DomainActor> _deactivate;
    private readonly Channel<DomainCommand> _mailbox;
    private readonly ReadyWindow _ready;
    private readonly WorkerPool _workers = new();
    private readonly WakeTimer _timer;
    private readonly SiteSeat _seat;
    private readonly DomainPump _pump;
    private readonly CancellationTokenSource _stopping = new();
    // Shaping lookups and spool claims in progress: the loop awaits them before it completes.
    private readonly List<Task> _background = [];
    private bool _stopped;
    private DomainSnapshot _snapshot;
    private Task _completion = Task.CompletedTask;

    public DomainActor(string domain, DeliveryRuntime runtime, Action<DomainActor> deactivate)
    {
        Domain = domain;
        _runtime = runtime;
        _deactivate = deactivate;
        _ready = new ReadyWindow(runtime.Options.ReadyWindow);
        _timer = new WakeTimer(runtime.Time, () => TryPost(new DomainCommand.Tick()));
        _mailbox = Channel.CreateBounded<DomainCommand>(new BoundedChannelOptions(MailboxCapacity) { SingleReader = true });
        _seat = new SiteSeat(this, runtime);
        var claims = new SpoolClaims(this, runtime.Spool, runtime.Recorder.Release);
        _pump = new DomainPump(this, runtime, _seat, _ready, _workers, _timer, claims, Track, _stopping.Token);
        _snapshot = new DomainSnapshot(domain, 0, 0, 0, 0, 0, false, DateTimeOffset.MinValue, false);
    }

    public string Domain { get; }

    /// <summary>The state after the last command handled; safe to read from any thread.</summary>
    public DomainSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Completes when the actor has stopped and everything it started (lookups, claims, workers) has ended.</summary>
    public Task Completion => _completion;

    /// <summary>Starts the loop; called once, by the directory that owns the actor and awaits its completion.</summary>
    public void Start() => _completion = Task.Run(RunAsync);

    public bool TryPost(DomainCommand command) => _mailbox.Writer.TryWrite(command);

    public async ValueTask<bool> PostAsync(DomainCommand command)
    {
        try
        {
            await _mailbox.Writer.WriteAsync(command);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>The actor's state once every command posted before this call has been handled.</summary>
    public async Task<DomainSnapshot> InspectAsync()
    {
        var reply = new TaskCompletionSource<DomainSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        return await PostAsync(new DomainCommand.Inspect(reply)) ? await reply.Task : Snapshot;
    }

    private async Task RunAsync()
    {
        try
        {
            Guarded(StartShaping);
            await foreach (var command in _mailbox.Reader.ReadAllAsync())
            {
                try
                {
                    Guarded(() => Handle(command));
                    if (!_stopped)
                    {
                        Guarded(Pump);
                    }
                    var standing = _seat.Standing;
                    Volatile.Write(ref _snapshot, new DomainSnapshot(
                        Domain, _workers.Open, _workers.Idle, standing.Granted, _ready.Recipients, _workers.JobsInFlight, _ready.ClaimPending,
                        standing.PausedUntil, standing.Suspended ?? false));
                }
                finally
                {
                    (command as DomainCommand.Inspect)?.Reply.TrySetResult(_snapshot);
                }
            }
        }
        finally
        {
            // Whatever ended the loop, posts must fail from now on rather than fill a mailbox nobody reads.
            _mailbox.Writer.TryComplete();
            _timer.Dispose();
        }
        // Lookups and claims post nothing once the mailbox is closed (a late claim releases itself);
        // each worker finishes its transaction, its outcome recorded, then closes. Their failures
        // were logged where they happened; they must not keep the directory from draining outcomes.
        await Task.WhenAll(_background).ContinueWith(_ => { }, TaskScheduler.Default);
        await _workers.AllExited.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>A bug in one command must not strand the domain: it is logged, and the loop goes on with the next.</summary>
    private void Guarded(Action step)
    {
        try
        {
            step();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Log.ActorFault(_runtime.Logger, Domain, exception);
        }
    }

    private void Handle(DomainCommand command)
    {
        if (_stopped)
        {
            Drain(command);
            return;
        }
        switch (command)
        {
            case DomainCommand.ShapingResolved resolved:
                _seat.Take(resolved.Shaping, resolved.PrimaryMx);
                break;
            case DomainCommand.Reshape:
                StartShaping();
                break;
            case DomainCommand.RecipientsDue:
                _ready.SpoolHasMore();
                if (_seat.Standing.Suspended == true)
                {
                    _runtime.Metrics.SuspendedHold(Domain);
                }
                break;
            case DomainCommand.SuspensionChanged:
                _seat.Refresh();
                break;
            case DomainCommand.Tick:
                _timer.Fired();
                break;
            case DomainCommand.Claimed claimed:
                DeliveryJob.Batch(claimed.Recipients, _seat.Shaping!.MaxRecipientsPerTransaction).ForEach(Ready);
                _ready.Claimed(claimed.Recipients.Count, claimed.Requested);
                break;
            case DomainCommand.Received received:
                Ready(received.Job);
                break;
            case DomainCommand.ClaimFailed failed:
                _ready.ClaimFailed();
                Log.ClaimFailed(_runtime.Logger, Domain, failed.Reason);
                break;
            case DomainCommand.JobRequested request:
                _workers.Waiting(request.Source, request.Reply, connected: request.First);
                break;
            case DomainCommand.AttemptFinished finished:
                _workers.JobFinished();
                _seat.Finished(finished.Result, finished.Source);
                break;
            case DomainCommand.ConnectFailed failed:
                _workers.ConnectFailed(failed.Source);
                _pump.ConnectFailed(failed.Source, failed.Failure);
                break;
            case DomainCommand.WorkerExited exited:
                _workers.Exited(exited.Source);
                break;
            case DomainCommand.Stop:
                StopNow();
                break;
        }
    }

    /// <summary>A job joins its pool's queue in the ready window; one whose pool is gone from the configuration waits in the queue instead.</summary>
    private void Ready(DeliveryJob job)
    {
        if (_runtime.Egress.PoolOf(job.Message) is { } pool)
        {
            _ready.Add(job, pool);
            return;
        }
        _runtime.Recorder.SubmitUnattempted(Domain, job, DeliveryOutcomeClassifier.PoolNotConfigured(job.Message.Pool!));
    }

    /// <summary>Draining the mailbox after Stop or deactivation: nothing may be left hanging.</summary>
    private void Drain(DomainCommand command)
    {
        switch (command)
        {
            case DomainCommand.JobRequested request:
                request.Reply.TrySetResult(null);
                break;
            case DomainCommand.Claimed claimed:
                _runtime.Recorder.Release(claimed.Recipients);
                break;
            case DomainCommand.Received received:
                _runtime.Recorder.Release([received.Job], "stopping");
                break;
            case DomainCommand.WorkerExited exited:
                _workers.Exited(exited.Source);
                break;
        }
    }

    private void Pump()
    {
        if (_pump.Run())
        {
            // Idle long enough: the directory forgets this actor; the next due mail activates a new one.
            _stopped = true;
            _seat.Leave();
            _deactivate(this);
            _mailbox.Writer.TryComplete();
        }
    }

    /// <summary>Resolves the domain's limits: at once, or after looking up its primary MX when MX-suffix rules exist.</summary>
    private void StartShaping()
    {
        if (_seat.Resolve(_stopping.Token) is { } lookup)
        {
            Track(lookup);
        }
    }

    private void Track(Task task)
    {
        _background.RemoveAll(t => t.IsCompleted);
        _background.Add(task);
    }

    private void StopNow()
    {
        _stopped = true;
        _stopping.Cancel();
        _pump.ReleaseReady("stopping");
        _workers.CloseIdle();
        _seat.Leave();
        _mailbox.Writer.TryComplete();
    }
}
