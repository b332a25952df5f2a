using MailCluster.Delivery.Egress.Sources;
using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Shaping;
using MailCluster.Spool;

namespace MailCluster.Delivery.Tests;

public sealed class QueueOperationsTests
{
    private static readonly ShapingOptions s_shaping = new();

    [Fact]
    public async Task DeleteRemovesTheRecipientsWithoutADsn()
    {
        await using var harness = new ActorHarness(s_shaping);
        await harness.EnqueueAsync("a@dest.test");
        await harness.EnqueueAsync("b@dest.test");

        var deleted = await harness.Queue.DeleteAsync(RecipientSelector.ForDomain("dest.test"), CancellationToken.None);

        Assert.Equal(2, deleted);
        Assert.Equal(new SpoolCounts(0, 0, 0), await harness.Spool.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task BounceRemovesTheRecipientAndQueuesADsnToTheSender()
    {
        await using var harness = new ActorHarness(s_shaping);
        await harness.EnqueueAsync("a@dest.test");

        var bounced = await harness.Queue.BounceAsync(RecipientSelector.ForDomain("dest.test"), CancellationToken.None);
        await harness.Recorder.DrainAsync();

        Assert.Equal(1, bounced);
        var summary = Assert.Single(await harness.Spool.GetDomainSummariesAsync(harness.Time.GetUtcNow(), CancellationToken.None));
        Assert.Equal(("client.test", 1L), (summary.Domain, summary.Due));
    }

    [Fact]
    public async Task RetryNowMakesAWaitingRecipientDueNow()
    {
        await using var harness = new ActorHarness(s_shaping);
        await harness.EnqueueAsync("a@dest.test");
        var claimed = await harness.Spool.ClaimDueAsync("dest.test", harness.Time.GetUtcNow(), 10, except: null, CancellationToken.None);
        await harness.Spool.RecordOutcomesAsync([new RecipientOutcome(Assert.Single(claimed).Id, OutcomeAction.Deferred, harness.Time.GetUtcNow().AddHours(1), "451 later")], CancellationToken.None);

        var retried = await harness.Queue.RetryNowAsync(RecipientSelector.ForDomain("dest.test"), CancellationToken.None);

        Assert.Equal(1, retried);
        Assert.Equal(harness.Time.GetUtcNow(), await harness.Spool.GetNextDueTimeAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ASuspendedDomainIsShownWithNothingQueuedAndAnUnknownOneIsNot()
    {
        await using var harness = new ActorHarness(s_shaping);

        Assert.True(await harness.Queue.SuspendAsync("quiet.test", CancellationToken.None));

        var quiet = await harness.Queue.DomainAsync("quiet.test", CancellationToken.None);
        Assert.NotNull(quiet);
        Assert.True(quiet.Suspended);
        Assert.Null(await harness.Queue.DomainAsync("unknown.test", CancellationToken.None));
        Assert.True(await harness.Queue.ResumeAsync("quiet.test", CancellationToken.None));
        Assert.False((await harness.Queue.DomainAsync("quiet.test", CancellationToken.None))?.Suspended ?? false);
    }

    [Fact]
    public async Task ASuspensionOnOneSourceIsRecordedForThatSourceAloneUntilResumed()
    {
        var egress = new EgressOptions
        {
            Sources = [new EgressSourceOptions { Name = "a", Address = "127.0.0.51" }, new EgressSourceOptions { Name = "b", Address = "127.0.0.52" }],
            Pools = [new EgressPoolOptions { Name = "bulk", Sources = [new EgressPoolMemberOptions { Name = "a" }, new EgressPoolMemberOptions { Name = "b" }] }],
        };
        await using var harness = new ActorHarness(s_shaping, egress: egress);

        Assert.True(await harness.Queue.SuspendAsync("Quiet.test", CancellationToken.None, source: "b"));

        var activity = await harness.Queue.SourceActivityAsync();
        Assert.Empty(activity["a"].Activity.SuspendedDomains);
        Assert.Equal(["quiet.test"], activity["b"].Activity.SuspendedDomains);
        Assert.True(await harness.Queue.ResumeAsync("quiet.test", CancellationToken.None, source: "b"));
        Assert.Empty((await harness.Queue.SourceActivityAsync())["b"].Activity.SuspendedDomains);
    }
}
