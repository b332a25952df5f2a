using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Shaping;

namespace MailCluster.Delivery.Tests;

public sealed class DomainActorTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    private static ShapingOptions Shaping(Action<ShapingRule> rule)
    {
        var dest = new ShapingRule { Match = "dest.test" };
        rule(dest);
        return new ShapingOptions { Rules = [dest] };
    }

    [Fact]
    public async Task NeverMoreConnectionsThanConfigured()
    {
        await using var harness = new ActorHarness(Shaping(r => r.MaxConnections = 2));
        for (var i = 0; i < 12; i++)
        {
            await harness.EnqueueAsync($"r{i}@dest.test");
        }

        harness.Directory.Wake("dest.test");
        Assert.True(await harness.Connector.SendStarted.WaitAsync(s_wait));
        Assert.True(await harness.Connector.SendStarted.WaitAsync(s_wait));
        // Both connections are busy and ten jobs wait: still exactly two connections.
        Assert.Equal((2, 2), (harness.Connector.Connects, harness.Connector.MaxConcurrent));

        harness.Connector.OpenAll();
        await harness.WaitForAsync(c => c.Messages == 0);
        Assert.Equal(12, harness.Connector.Sends);
        Assert.Equal(2, harness.Connector.MaxConcurrent);
    }

    [Fact]
    public async Task AtSigtermATransactionStillInFlightAtTheDrainDeadlineIsCutAndDeferredNotLost()
    {
        await using var harness = new ActorHarness(Shaping(r => r.MaxConnections = 1));
        await harness.EnqueueAsync("r0@dest.test");
        harness.Directory.Wake("dest.test");
        Assert.True(await harness.Connector.SendStarted.WaitAsync(s_wait));

        // SIGTERM while the MX sits on the final dot: stopping waits for the transaction, up to the deadline.
        harness.Drain.Start();
        var stopping = harness.Directory.StopAsync();
        Assert.False(stopping.IsCompleted);
        harness.Time.Advance(harness.Drain.Timeout);
        await stopping.WaitAsync(s_wait);

        Assert.Equal(1, harness.Connector.Aborts);
        // Deferred, in the spool: the hand-off moves it on, nothing is lost.
        var counts = await harness.Spool.CountAsync(CancellationToken.None);
        Assert.Equal((1, 1), (counts.Messages, counts.QueuedRecipients));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task AnActorWhoseMxLookupFailsAtFirstEndsUpAtItsMxRollupSite(int failures)
    {
        var shaping = new ShapingOptions { Rules = [new ShapingRule { Match = "mx:.dest.test", MaxConnections = 2 }] };
        await using var harness = new ActorHarness(shaping);
        harness.Connector.FailingMxLookups = failures;
        harness.Connector.OpenAll();
        await harness.EnqueueAsync("r0@dest.test");

        harness.Directory.Wake("dest.test");
        // Lookups 5, 10, 20 s apart: after three failures the domain's own limits let its mail be attempted meanwhile.
        await harness.WaitUntilAsync(() =>
        {
            harness.Time.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult(harness.Sites.SitesAsked.Contains("mx:.dest.test"));
        });

        Assert.Equal(failures >= 3 ? ["dest.test", "mx:.dest.test"] : ["mx:.dest.test"], harness.Sites.SitesAsked);
        await harness.WaitForAsync(c => c.Messages == 0);
    }

    [Fact]
    public async Task MessageRateIsNeverExceeded()
    {
        await using var harness = new ActorHarness(Shaping(r => r.MessageRate = "2/min"));
        harness.Connector.OpenAll();
        for (var i = 0; i < 4; i++)
        {
            await harness.EnqueueAsync($"r{i}@dest.test");
        }

        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 2);
        Assert.Equal(2, harness.Connector.Sends);

        // One token every 30 s of the fake clock, one message per token. The clock moves a second at a
        // time, so the site's share is renewed every period as it would be.
        harness.AdvanceBySeconds(30);
        await harness.WaitForAsync(c => c.Messages == 1);
        Assert.Equal(3, harness.Connector.Sends);
        harness.AdvanceBySeconds(30);
        await harness.WaitForAsync(c => c.Messages == 0);
        Assert.Equal(4, harness.Connector.Sends);
    }

    [Fact]
    public async Task RateLimitReplyPausesTheDomainForTheBackoffPeriod()
    {
        await using var harness = new ActorHarness(Shaping(r => r.BackoffPeriod = TimeSpan.FromMinutes(2)));
        harness.Connector.OpenAll();
        await harness.EnqueueAsync("slow@dest.test");
        harness.Directory.Wake("dest.test");
        var actor = Assert.Single(harness.Directory.Active);
        await harness.WaitUntilAsync(async () =>
            (await actor.InspectAsync()).IsBackingOff(harness.Time.GetUtcNow()) && (await harness.Spool.CountAsync(CancellationToken.None)).InFlightRecipients == 0);
        Assert.Equal(1, harness.Connector.Sends);

        // New mail for the paused domain waits, although it is due now. The inspection is the barrier:
        // the actor has handled the wake and the clock's tick, and neither claimed nor handed out work.
        await harness.EnqueueAsync("next@dest.test");
        harness.Directory.Wake("dest.test");
        harness.Time.Advance(TimeSpan.FromSeconds(90));
        var paused = await actor.InspectAsync();
        Assert.Equal((true, false, 0, 0, 0), (paused.IsBackingOff(harness.Time.GetUtcNow()), paused.ClaimPending, paused.ReadyRecipients, paused.JobsInFlight, paused.Connections));
        Assert.Equal(1, harness.Connector.Sends);
        Assert.Equal(0, (await harness.Spool.CountAsync(CancellationToken.None)).InFlightRecipients);

        harness.Time.Advance(TimeSpan.FromSeconds(31));
        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);
        Assert.False((await actor.InspectAsync()).IsBackingOff(harness.Time.GetUtcNow()));
        Assert.Equal(3, harness.Connector.Sends);
    }

    [Fact]
    public async Task SuspendedDomainIsNotTriedUntilResumed()
    {
        await using var harness = new ActorHarness(Shaping(_ => { }));
        harness.Connector.OpenAll();
        await harness.Queue.SuspendAsync("dest.test", CancellationToken.None);
        await harness.EnqueueAsync("a@dest.test");
        harness.Directory.Wake("dest.test");
        harness.Directory.Wake("dest.test");
        var actor = Assert.Single(harness.Directory.Active);

        // After both wakes are handled, nothing was claimed, connected or sent.
        var held = await actor.InspectAsync();
        Assert.Equal((false, 0, 0, 0), (held.ClaimPending, held.ReadyRecipients, held.JobsInFlight, held.Connections));
        Assert.Equal((0, 0), (harness.Connector.Connects, harness.Connector.Sends));
        Assert.Equal(new Spool.SpoolCounts(1, 1, 0), await harness.Spool.CountAsync(CancellationToken.None));
        Assert.True(held.Suspended);

        await harness.Queue.ResumeAsync("dest.test", CancellationToken.None);
        Assert.False((await harness.Queue.DomainAsync("dest.test", CancellationToken.None))!.Suspended);
        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);
        Assert.Equal(1, harness.Connector.Sends);
    }

    [Fact]
    public async Task SuspendingWhileDeliveringHandsBackWhatIsNotStarted()
    {
        await using var harness = new ActorHarness(Shaping(r => r.MaxConnections = 1));
        for (var i = 0; i < 5; i++)
        {
            await harness.EnqueueAsync($"r{i}@dest.test");
        }
        harness.Directory.Wake("dest.test");
        Assert.True(await harness.Connector.SendStarted.WaitAsync(s_wait));

        await harness.Queue.SuspendAsync("dest.test", CancellationToken.None);
        var actor = Assert.Single(harness.Directory.Active);
        var held = await actor.InspectAsync();
        // The one transaction under way finishes; the other four went back to the queue.
        Assert.Equal((0, 1), (held.ReadyRecipients, held.JobsInFlight));
        harness.Connector.OpenAll();
        await harness.WaitForAsync(c => c == new Spool.SpoolCounts(4, 4, 0));
        Assert.Equal(1, harness.Connector.Sends);
    }

    [Fact]
    public async Task AnIdleConnectionLingersForNewMailThenCloses()
    {
        await using var harness = new ActorHarness(Shaping(_ => { }));
        harness.Connector.OpenAll();
        await harness.EnqueueAsync("a@dest.test");
        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);
        var actor = Assert.Single(harness.Directory.Active);
        // The worker has asked for its next job: it waits, idle, on its open connection.
        await harness.WaitUntilAsync(async () => (await actor.InspectAsync()) is { Connections: 1, IdleConnections: 1 });

        // Mail arriving within the linger reuses the open connection.
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        await harness.EnqueueAsync("b@dest.test");
        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);
        Assert.Equal((1, 2), (harness.Connector.Connects, harness.Connector.Sends));

        // Then, 2 s after the last hand-out, the idle connection says QUIT.
        harness.Time.Advance(TimeSpan.FromSeconds(2));
        await harness.WaitUntilAsync(async () => (await actor.InspectAsync()).Connections == 0 && harness.Connector.Open == 0);
    }

    [Fact]
    public async Task PermanentFailureBouncesWithADsnToTheSender()
    {
        await using var harness = new ActorHarness(Shaping(_ => { }));
        harness.Connector.OpenAll();
        await harness.EnqueueAsync("reject@dest.test");
        harness.Directory.Wake("dest.test");

        // The failed recipient is gone; in its place a DSN for the sender's domain waits.
        // The send is checked before the spool is read: the counts must be those after the attempt.
        await harness.WaitUntilAsync(async () => harness.Connector.Sends == 1
            && await harness.Spool.CountAsync(CancellationToken.None) == new Spool.SpoolCounts(1, 1, 0));
        Assert.Equal(["client.test"], await harness.Spool.GetDueDomainsAsync(harness.Time.GetUtcNow(), 10, CancellationToken.None));
    }
}
