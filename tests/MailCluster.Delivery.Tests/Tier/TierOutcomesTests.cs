using MailCluster.Cluster.RetryTier;
using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Tier;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;
using MailCluster.Testing.IO;
using MailCluster.Testing.RetryTier;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailCluster.Delivery.Tests.Tier;

/// <summary>
/// How an entry's attempt is written back to the tier when the tier misbehaves (issue 21, items 2
/// and 9): over an in-memory tier on the harness's fake clock, with DSNs spooled for real.
/// </summary>
public sealed class TierOutcomesTests : IAsyncDisposable
{
    private static readonly TimeSpan s_lease = TimeSpan.FromMinutes(2);
    private static readonly DeliveryOutcome s_delivered = DeliveryOutcomeClassifier.FromReply(new SmtpReply(250, new EnhancedStatusCode(2, 0, 0), "ok"), SmtpPhase.Data);
    private static readonly DeliveryOutcome s_deferred = DeliveryOutcomeClassifier.FromReply(new SmtpReply(451, new EnhancedStatusCode(4, 3, 0), "try later"), SmtpPhase.Data);
    private static readonly DeliveryOutcome s_bounced = DeliveryOutcomeClassifier.FromReply(new SmtpReply(550, new EnhancedStatusCode(5, 1, 1), "no such user"), SmtpPhase.Rcpt);

    private readonly ActorHarness _harness = new(new ShapingOptions());
    private readonly TestMeterFactory _meters = new();
    private readonly InMemoryRetryTier _tier;
    private readonly TierOutcomes _outcomes;

    public TierOutcomesTests()
    {
        _tier = new InMemoryRetryTier(_harness.Time);
        _outcomes = new TierOutcomes(_tier, _harness.Bounces, new RetryTierOptions { VisibilityLease = s_lease }, new RetryTierMetrics(_meters), _harness.Time, NullLogger.Instance);
    }

    [Fact]
    public async Task AHolderThatLostItsLeaseNotesWhatItFinishedAndTheNextHolderGetsOnlyTheRest()
    {
        var entry = await AddAsync(recipients: 3);
        var first = await LeaseAsync();
        // The lease ran out mid-attempt: another silo holds the entry now.
        _harness.Time.Advance(s_lease);
        var second = Assert.Single(await ReceiveAsync());

        await RecordAsync(first, s_delivered, s_deferred, s_bounced);

        Assert.True(first.Lost);
        Assert.Equal(entry.Recipients, second.Entry.Recipients);
        _harness.Time.Advance(s_lease);
        var third = Assert.Single(await ReceiveAsync());
        Assert.Equal([entry.Recipients[1]], third.Entry.Recipients);
    }

    [Fact]
    public async Task ARewriteWhoseReplyWasLostStandsAndItsFinishedRecipientsAreNoted()
    {
        var entry = await AddAsync(recipients: 3);
        var lease = await LeaseAsync();
        _tier.LoseReplyToNextRewrite();

        await RecordAsync(lease, s_delivered, s_deferred, s_bounced);

        Assert.False(lease.Lost);
        var stored = Assert.Single(_tier.Entries);
        Assert.Equal([entry.Recipients[1]], stored.Recipients);
        Assert.Equal(entry.Attempts + 1, stored.Attempts);
    }

    [Fact]
    public async Task ASecondRecipientBouncedAtTheSameAttemptAfterAFailedRewriteGetsItsDsn()
    {
        var entry = await AddAsync(recipients: 2);
        var first = await LeaseAsync();
        _harness.Time.Advance(s_lease);
        Assert.Single(await ReceiveAsync());
        // The first holder bounces r0, then finds the entry taken over: r0's DSN is spooled, r0 noted.
        await RecordAsync(first, s_bounced, s_deferred);
        Assert.Equal(1, (await _harness.Spool.CountAsync(default)).Messages);

        // The entry comes back at the same attempt number (no rewrite went through) and r1 bounces.
        _harness.Time.Advance(s_lease);
        var again = await LeaseAsync();
        Assert.Equal(entry.Attempts, again.Entry.Attempts);
        Assert.Equal([entry.Recipients[1]], again.Entry.Recipients);
        await RecordAsync(again, s_bounced);

        Assert.Equal(2, (await _harness.Spool.CountAsync(default)).Messages);
        Assert.Empty(_tier.Entries);
    }

    [Fact]
    public async Task AnEntryWhoseDsnCouldNotBeSpooledKeepsItsBouncedRecipientsAndLosesItsDeliveredOnes()
    {
        var entry = await AddAsync(recipients: 2);
        var lease = await LeaseAsync();
        await _harness.Spool.DisposeAsync();

        await RecordAsync(lease, s_delivered, s_bounced);

        var stored = Assert.Single(_tier.Entries);
        Assert.Equal([entry.Recipients[1]], stored.Recipients);
    }

    public async ValueTask DisposeAsync()
    {
        await _harness.DisposeAsync();
        _meters.Dispose();
    }

    [Fact]
    public async Task ATierEntrysOutcomesAreEventsInThisSilosJournalBeforeTheTierEndsTheEntry()
    {
        var entry = await AddAsync(recipients: 2);
        var lease = await LeaseAsync();
        var job = Assert.Single(lease.Jobs(perTransaction: 100));
        var recorder = _harness.RecorderFor(_outcomes);

        recorder.Submit("dest.test", new JobResult(job, [s_delivered, s_deferred], new MxEndpoint("mx.dest.test", "192.0.2.1", null), TimeSpan.Zero, ConnectionUsable: true));
        await recorder.DrainAsync();

        var events = (await _harness.Spool.ReadAsync(0, 10, CancellationToken.None)).Select(e => MailCluster.Events.DeliveryEvent.FromJson(e.Body)!).ToList();
        Assert.Equal(
            [(MailCluster.Events.EventKind.Delivery, entry.Recipients[0].Address), (MailCluster.Events.EventKind.TransientFailure, entry.Recipients[1].Address)],
            events.Select(e => (e.Kind, e.Recipient)));
        Assert.All(events, e => Assert.Equal((entry.Message.QueueId, entry.Attempts + 1, "mx.dest.test"), (e.QueueId, e.Attempt, e.MxHost)));
        // The tier ended the entry for the delivered recipient and keeps the deferred one.
        _harness.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal([entry.Recipients[1]], Assert.Single(await ReceiveAsync()).Entry.Recipients);
    }

    private async Task<RetryEntry> AddAsync(int recipients)
    {
        var entry = RetryTierConformance.Entry("dest.test", recipients);
        await _tier.AddAsync(entry, _harness.Time.GetUtcNow(), default);
        return entry;
    }

    private Task<IReadOnlyList<ReceivedEntry>> ReceiveAsync() => _tier.ReceiveAsync(_tier.PartitionOf("dest.test"), 32, s_lease, default);

    private async Task<TierLease> LeaseAsync() => new(Assert.Single(await ReceiveAsync()), _harness.Time.GetUtcNow(), _ => { });

    /// <summary>One job of all the lease's recipients comes back with these outcomes, in order.</summary>
    private Task RecordAsync(TierLease lease, params DeliveryOutcome[] outcomes)
    {
        var job = Assert.Single(lease.Jobs(perTransaction: 100));
        var next = _harness.Time.GetUtcNow().AddMinutes(10);
        return _outcomes.RecordAsync(lease, [.. job.Recipients.Zip(outcomes, (r, o) => (r, o, o.Verdict == DeliveryVerdict.Deferred ? next : (DateTimeOffset?)null))], endpoint: null);
    }
}
