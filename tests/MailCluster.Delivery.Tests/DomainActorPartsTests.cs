using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Delivery.Tests;

/// <summary>The parts a domain actor is made of, each on its own: the ready window, the worker pool, the wake timer and transaction batching.</summary>
public sealed class DomainActorPartsTests
{
    private static readonly EgressSource s_source = new(EgressSource.ImplicitName, null, "silo.test", null, isImplicit: true);

    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static SpoolMessage Message(string queueId) => new(queueId, "s@client.test", s_now, 10, null, DsnReturn.Unspecified, false, false);

    private static List<DueRecipient> Recipients(int count, SpoolMessage? message = null) =>
        [.. Enumerable.Range(0, count).Select(i => new DueRecipient(i, new EnvelopeRecipient($"r{i}@dest.test", "dest.test", DsnNotify.Unspecified, null), 0, message ?? Message("Q1")))];

    private static readonly EgressPool s_pool = new(EgressSource.ImplicitName, [new PoolMember(s_source, 1)]);

    private static List<DeliveryJob> Jobs(int count) => DeliveryJob.Batch(Recipients(count), perTransaction: 1);

    /// <summary>A claim's jobs into the window, as the actor puts them (each into its pool's queue), then the claim's end.</summary>
    private static void Claimed(ReadyWindow window, List<DeliveryJob> jobs, int requested, EgressPool? pool = null)
    {
        jobs.ForEach(job => window.Add(job, pool ?? s_pool));
        window.Claimed(jobs.Sum(j => j.Recipients.Count), requested);
    }

    [Fact]
    public void ReadyWindowClaimsOnceAtATimeAndOnlyWhenHalfFree()
    {
        var window = new ReadyWindow(capacity: 10);
        Assert.True(window.TryStartClaim(out var limit));
        Assert.Equal(10, limit);
        Assert.False(window.TryStartClaim(out _));

        Claimed(window, Jobs(10), requested: 10);
        Assert.Equal((10, 10, false), (window.Jobs, window.Recipients, window.ClaimPending));
        // Full, then four free: below half, no claim yet.
        Assert.False(window.TryStartClaim(out _));
        for (var i = 0; i < 4; i++)
        {
            Assert.True(window.TryTake(s_pool, out _));
        }
        Assert.False(window.TryStartClaim(out _));
        Assert.True(window.TryTake(s_pool, out _));
        Assert.True(window.TryStartClaim(out limit));
        Assert.Equal(5, limit);
    }

    [Fact]
    public void AShortClaimMeansTheSpoolIsEmptyUntilToldOtherwise()
    {
        var window = new ReadyWindow(capacity: 10);
        Assert.True(window.TryStartClaim(out _));
        Claimed(window, Jobs(3), requested: 10);
        while (window.TryTake(s_pool, out _))
        {
        }
        Assert.False(window.TryStartClaim(out _));
        window.SpoolHasMore();
        Assert.True(window.TryStartClaim(out _));
    }

    [Fact]
    public void AFailedClaimMayBeTriedAgainAndTakeAllEmptiesTheWindow()
    {
        var window = new ReadyWindow(capacity: 4);
        Assert.True(window.TryStartClaim(out _));
        window.ClaimFailed();
        Assert.True(window.TryStartClaim(out _));
        Claimed(window, DeliveryJob.Batch(Recipients(4), perTransaction: 2), requested: 4);
        Assert.Equal((2, 4), (window.Jobs, window.Recipients));
        Assert.Equal(4, window.TakeAll().Sum(j => j.Recipients.Count));
        Assert.Equal((0, 0), (window.Jobs, window.Recipients));
    }

    [Fact]
    public void EachPoolHasItsOwnQueueInTheWindow()
    {
        var window = new ReadyWindow(capacity: 10);
        var bulk = new EgressPool("bulk", [new PoolMember(s_source, 1)]);
        Claimed(window, Jobs(3), requested: 10);
        Claimed(window, Jobs(2), requested: 10, bulk);

        Assert.Equal([s_pool, bulk], window.Pools);
        Assert.Equal((5, 3, 2), (window.Jobs, window.JobsOf(s_pool), window.JobsOf(bulk)));
        Assert.True(window.TryTake(bulk, out _));
        Assert.Equal(3, window.TakeAll(p => ReferenceEquals(p, s_pool)).Count);
        Assert.Equal((1, 0, 1, 1), (window.Jobs, window.JobsOf(s_pool), window.JobsOf(bulk), window.Recipients));
        Assert.False(window.TryTake(s_pool, out _));
    }

    [Fact]
    public void AWindowOfOneNeverClaimsZero()
    {
        var window = new ReadyWindow(capacity: 1);
        Assert.True(window.TryStartClaim(out var limit));
        Assert.Equal(1, limit);
        Claimed(window, Jobs(1), requested: 1);
        Assert.False(window.TryStartClaim(out _));
    }

    [Fact]
    public void BatchingKeepsMessagesApartAndCapsRecipientsPerTransaction()
    {
        var first = Message("Q1");
        var second = Message("Q2");
        var jobs = DeliveryJob.Batch([.. Recipients(5, first), .. Recipients(2, second)], perTransaction: 2);
        Assert.Equal([("Q1", 2), ("Q1", 2), ("Q1", 1), ("Q2", 2)], jobs.Select(j => (j.Message.QueueId, j.Recipients.Count)));
        Assert.Empty(DeliveryJob.Batch([], perTransaction: 2));
    }

    [Fact]
    public async Task WorkerPoolCountsAWorkerFromStartUntilItsExitIsHeard()
    {
        var pool = new WorkerPool();
        var worker = new TaskCompletionSource();
        pool.Started(s_source, worker.Task);
        Assert.Equal((1, 1, 0), (pool.Open, pool.Connecting, pool.Idle));

        var reply = new TaskCompletionSource<DeliveryJob?>();
        pool.Waiting(s_source, reply, connected: true);
        Assert.Equal((1, 0, 1), (pool.Open, pool.Connecting, pool.Idle));
        var job = Jobs(1)[0];
        pool.HandOut(s_source, job);
        Assert.Same(job, await reply.Task);
        Assert.Equal((0, 1), (pool.Idle, pool.JobsInFlight));
        pool.JobFinished();
        Assert.Equal(0, pool.JobsInFlight);

        var again = new TaskCompletionSource<DeliveryJob?>();
        pool.Waiting(s_source, again, connected: false);
        pool.CloseIdle();
        Assert.Null(await again.Task);

        // The worker finished; until the pool hears it exited it still counts, and AllExited waits for it.
        Assert.False(pool.AllExited.IsCompleted);
        worker.SetResult();
        pool.Exited(s_source);
        Assert.Equal(0, pool.Open);
        await pool.AllExited;
    }

    [Fact]
    public void AFailedConnectStopsCountingAsConnecting()
    {
        var pool = new WorkerPool();
        pool.Started(s_source, Task.CompletedTask);
        pool.ConnectFailed(s_source);
        Assert.Equal((1, 0, 0), (pool.Open, pool.Connecting, pool.ConnectingOf(s_source)));
    }

    [Fact]
    public void TheWakeTimerKeepsTheEarliestMomentAndIsSetAfreshOnceFired()
    {
        var time = new FakeTimeProvider(s_now);
        var fired = 0;
        using var timer = new WakeTimer(time, () => fired++);
        timer.At(s_now.AddSeconds(10), s_now);
        timer.At(s_now.AddSeconds(30), s_now);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, fired);
        timer.Fired();

        timer.At(time.GetUtcNow().AddSeconds(20), time.GetUtcNow());
        timer.At(time.GetUtcNow().AddSeconds(5), time.GetUtcNow());
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, fired);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(2, fired);
    }

    [Fact]
    public void ATimerWhoseWakeWasLostIsSetAgain()
    {
        var time = new FakeTimeProvider(s_now);
        var fired = 0;
        using var timer = new WakeTimer(time, () => fired++);
        timer.At(s_now.AddSeconds(1), s_now);
        time.Advance(TimeSpan.FromSeconds(1));
        // The wake never reached the actor (a full mailbox), so Fired was not called: a later moment still sets it.
        timer.At(time.GetUtcNow().AddSeconds(3), time.GetUtcNow());
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(2, fired);
    }
}
