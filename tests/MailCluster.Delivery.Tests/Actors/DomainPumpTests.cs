using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;

namespace MailCluster.Delivery.Tests.Actors;

/// <summary>A domain actor's decisions on their own, over the actor's parts, a real spool and a stepped clock.</summary>
public sealed class DomainPumpTests : IAsyncDisposable
{
    private readonly ActorHarness _harness = new(new ShapingOptions());
    private readonly RecordingMailbox _mailbox = new();
    private readonly ReadyWindow _ready = new(capacity: 10);
    private readonly WorkerPool _workers = new();
    private readonly List<Task> _started = [];
    private readonly SiteSeat _seat;
    private readonly WakeTimer _timer;
    private readonly DomainPump _pump;

    public DomainPumpTests()
    {
        _seat = new SiteSeat(_mailbox, _harness.Runtime);
        _timer = new WakeTimer(_harness.Time, () => _mailbox.TryPost(new DomainCommand.Tick()));
        var claims = new SpoolClaims(_mailbox, _harness.Spool, _harness.Recorder.Release);
        _pump = new DomainPump(_mailbox, _harness.Runtime, _seat, _ready, _workers, _timer, claims, _started.Add, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        _seat.Leave();
        await _harness.DisposeAsync();
    }

    [Fact]
    public void WithoutItsLimitsTheDomainDoesNothing()
    {
        Assert.False(_pump.Run());

        Assert.False(_ready.ClaimPending);
        Assert.Empty(_started);
    }

    [Fact]
    public async Task ADomainWithNothingToDoDeactivatesOnceIdleForTheTimeout()
    {
        Assert.Null(_seat.Resolve(CancellationToken.None));
        Assert.False(_pump.Run());
        // The first look claims from the spool; it has nothing.
        await Assert.Single(_started);
        var claimed = Assert.IsType<DomainCommand.Claimed>(Assert.Single(_mailbox.Posted, c => c is DomainCommand.Claimed));
        _ready.Claimed(0, claimed.Requested);

        Assert.False(_pump.Run());
        _harness.Time.Advance(_harness.Runtime.Options.ActorIdleTimeout - TimeSpan.FromSeconds(1));
        Assert.False(_pump.Run());
        _harness.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_pump.Run());
    }

    [Fact]
    public async Task AJobGoesToTheIdleWorker()
    {
        Assert.Null(_seat.Resolve(CancellationToken.None));
        _ready.Add(await ClaimOneAsync(), _harness.Egress.DefaultPool);
        var worker = new TaskCompletionSource<DeliveryJob?>();
        _workers.Waiting(_harness.Egress.DefaultPool.Members[0].Source, worker, connected: true);

        Assert.False(_pump.Run());

        Assert.True(worker.Task.IsCompletedSuccessfully);
        Assert.Equal((0, 1), (_ready.Jobs, _workers.JobsInFlight));
    }

    [Fact]
    public async Task WhenNoHostTakesASessionTheWholeWindowGetsTheVerdict()
    {
        Assert.Null(_seat.Resolve(CancellationToken.None));
        _ready.Add(await ClaimOneAsync(), _harness.Egress.DefaultPool);

        _pump.ConnectFailed(_harness.Egress.DefaultPool.Members[0].Source, DeliveryOutcomeClassifier.ConnectionFailed("connection refused"));

        Assert.Equal(0, _ready.Jobs);
        // Recorded as an attempt that was deferred: the recipient waits in the queue again.
        await _harness.WaitForAsync(c => c.InFlightRecipients == 0 && c.QueuedRecipients == 1);
    }

    [Fact]
    public async Task ReleasingTheWindowHandsItsJobsBackToTheQueue()
    {
        _ready.Add(await ClaimOneAsync(), _harness.Egress.DefaultPool);

        _pump.ReleaseReady("suspended");

        Assert.Equal(0, _ready.Jobs);
        await _harness.WaitForAsync(c => c.InFlightRecipients == 0 && c.QueuedRecipients == 1);
    }

    private async Task<DeliveryJob> ClaimOneAsync()
    {
        await _harness.EnqueueAsync("r@dest.test");
        var claimed = await _harness.Spool.ClaimDueAsync("dest.test", _harness.Time.GetUtcNow(), 10, except: null, CancellationToken.None);
        return Assert.Single(DeliveryJob.Batch(claimed, perTransaction: 1));
    }
}
