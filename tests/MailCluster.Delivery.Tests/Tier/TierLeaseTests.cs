using MailCluster.Cluster.RetryTier;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Tier;
using MailCluster.Testing.RetryTier;

namespace MailCluster.Delivery.Tests.Tier;

public sealed class TierLeaseTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AnEntryBecomesJobsOfOneTransactionEachAndEndsWithTheLastOne()
    {
        var ended = new List<TierLease>();
        var lease = new TierLease(new ReceivedEntry(RetryTierConformance.Entry("dest.test", recipients: 250), "p0", "m", "r", 1), s_now, ended.Add);

        var jobs = lease.Jobs(perTransaction: 100);

        Assert.Equal([100, 100, 50], jobs.Select(j => j.Recipients.Count));
        Assert.All(jobs, j => Assert.Same(lease, j.Tier));
        Assert.Equal(Enumerable.Range(0, 250).Select(i => (long)i), jobs.SelectMany(j => j.Recipients).Select(r => r.Id));
        var deferred = DeliveryOutcomeClassifier.ConnectionFailed("nobody home");
        Assert.False(lease.Complete(jobs[0].Recipients.Select(r => (r, (DeliveryOutcome?)deferred, (DateTimeOffset?)s_now)), out _));
        Assert.False(lease.Complete(jobs[2].Recipients.Select(r => (r, (DeliveryOutcome?)null, (DateTimeOffset?)null)), out _));
        Assert.True(lease.Complete(jobs[1].Recipients.Select(r => (r, (DeliveryOutcome?)deferred, (DateTimeOffset?)s_now)), out var all));
        Assert.Equal(250, all.Count);
        Assert.Equal(50, all.Count(o => o.Outcome is null));

        Assert.Empty(ended);
        lease.Finish();
        lease.Finish();
        Assert.Same(lease, Assert.Single(ended));
    }
}
