using System.Threading.Channels;
using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Shaping;
using MailCluster.Delivery.Sites;
using MailCluster.Spool;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// The one owner of a destination domain's delivery in this silo. It takes its limits (connections,
/// rates, backoff, suspension) from its site's <see cref="SiteLimiter"/>, which holds the grant of
/// the site's grain. Its parts — the ready window, the worker pool and the wake timer — are touched only by its loop, one
/// command at a time, so they need no locks; connection workers and background lookups talk to it
/// through the bounded mailbox, and other threads read the <see cref="Snapshot"/> it publishes.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The stop token has no timer; workers may still observe it after the loop ends, so it is not disposed.")]
internal sealed partial class DomainActor
{
    private const int MailboxCapacity = 1024;

    private readonly DeliveryRuntime _runtime;
    private readonly Action<DomainActor> _deactivate;
    private readonly Channel<DomainCommand> _mailbox;
    private readonly ReadyWindow _ready;
    private readonly WorkerPool _workers = new();
    private readonly WakeTimer _timer;
    private readonly CancellationTokenSource _stopping = new();
    // Shaping lookups and spool claims in progress: the loop awaits them before it completes.
    private readonly List<Task> _background = [];
    private DomainShaping? _shaping;
    private SiteLimiter? _limiter;
    // The site's grant as the last pump read it: what the snapshot publishes.
    private SiteStanding _standing;
    private int _jobsInFlight;
    private bool _stopped;
    private DateTimeOffset _idleSince = DateTimeOffset.MaxValue;
    private DateTimeOffset _lastHandOut;
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
        _snapshot = new DomainSnapshot(domain, 0, 0, 0, 0, 0, false, DateTimeOffset.MinValue, false);
    }

    public string Domain { get; }

    /// <summary>The state after the last command handled; safe to read from any thread.</summary>
    public DomainSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Completes when the actor has stopped and everything it started (lookups, claims, workers) has ended.</summary>
    public Task Completion => _completion;

    /// <summary>Starts the loop; called once, by the directory that owns the actor and awaits its completion.</summary>
    public void Start() => _completion = Task.Run(RunAsync);

    /// <summary>Posts without waiting; false when the mailbox is full or the actor has stopped.</summary>
    public bool TryPost(DomainCommand command) => _mailbox.Writer.TryWrite(command);

    /// <summary>Posts, waiting for room; false when the actor has stopped.</summary>
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
                    Volatile.Write(ref _snapshot, new DomainSnapshot(
                        Domain, _workers.Open, _workers.Idle, _standing.Granted, _ready.Recipients, _jobsInFlight, _ready.ClaimPending,
                        _standing.PausedUntil, _standing.Suspended ?? false));
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
            // Draining the mailbox after Stop or deactivation: nothing may be left hanging.
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
                case DomainCommand.WorkerExited:
                    _workers.Exited();
                    break;
            }
            return;
        }
        switch (command)
        {
            case DomainCommand.ShapingResolved resolved:
                // Workers already open keep their old site's slot until they close.
                _shaping = resolved.Shaping;
                if (_limiter is not null)
                {
                    _runtime.Sites.Leave(_limiter, Domain);
                }
                _limiter = _runtime.Sites.Join(resolved.Shaping.SiteKey, Domain, resolved.PrimaryMx, () => TryPost(new DomainCommand.Tick()));
                break;
            case DomainCommand.Reshape:
                StartShaping();
                break;
            case DomainCommand.RecipientsDue:
                _ready.SpoolHasMore();
                if (_standing.Suspended == true)
                {
                    _runtime.Metrics.SuspendedHold(Domain);
                }
                break;
            case DomainCommand.SuspensionChanged:
                _limiter?.Refresh();
                break;
            case DomainCommand.Tick:
                _timer.Fired();
                break;
            case DomainCommand.Claimed claimed:
                _ready.Claimed(DeliveryJob.Batch(claimed.Recipients, _shaping!.MaxRecipientsPerTransaction), claimed.Requested);
                break;
            case DomainCommand.Received received:
                _ready.Add(received.Job);
                break;
            case DomainCommand.ClaimFailed failed:
                _ready.ClaimFailed();
                Log.ClaimFailed(_runtime.Logger, Domain, failed.Reason);
                break;
            case DomainCommand.JobRequested request:
                _workers.Waiting(request.Reply, connected: request.First);
                break;
            case DomainCommand.AttemptFinished finished:
                _jobsInFlight--;
                OnAttemptFinished(finished.Result);
                break;
            case DomainCommand.ConnectFailed failed:
                _workers.ConnectFailed();
                OnConnectFailed(failed.Failure);
                break;
            case DomainCommand.WorkerExited:
                _workers.Exited();
                break;
            case DomainCommand.Stop:
                StopNow();
                break;
        }
    }

    /// <summary>Resolves the domain's limits: at once, or after looking up its primary MX when MX-suffix rules exist.</summary>
    private void StartShaping()
    {
        if (_runtime.Shaping.HasMxRules)
        {
            Track(ResolveShapingAsync());
            return;
        }
        Handle(new DomainCommand.ShapingResolved(_runtime.Shaping.Resolve(Domain, primaryMx: null), PrimaryMx: null));
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
        await PostAsync(new DomainCommand.ShapingResolved(_runtime.Shaping.Resolve(Domain, mx), mx));
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
        ReleaseReady();
        _workers.CloseIdle();
        LeaveSite();
        _mailbox.Writer.TryComplete();
    }

    private void LeaveSite()
    {
        if (_limiter is not null)
        {
            _runtime.Sites.Leave(_limiter, Domain);
            _limiter = null;
        }
    }
}
