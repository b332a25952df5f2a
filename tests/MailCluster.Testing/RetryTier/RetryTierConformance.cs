using System.Text;
using MailCluster.Cluster.RetryTier;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;
using Xunit;

namespace MailCluster.Testing.RetryTier;

/// <summary>
/// What every retry tier backend must do, run against each (Azure Storage on Azurite today). A
/// backend's test class derives from this and makes tiers; each test asks for its own service, and
/// two tiers of one service (other partition counts) share its storage.
/// </summary>
public abstract class RetryTierConformance
{
    private static readonly TimeSpan s_lease = TimeSpan.FromSeconds(30);

    /// <summary>A tier of the service <paramref name="service"/>, writing to <paramref name="partitions"/> partitions.</summary>
    protected abstract IRetryTier Tier(string service, int partitions = 4);

    /// <summary>The storage's clock is the machine's: entries are due by real time.</summary>
    private static DateTimeOffset Now => TimeProvider.System.GetUtcNow();

    protected static string NewService() => "t" + Guid.NewGuid().ToString("N")[..12];

    public static RetryEntry Entry(string domain, int recipients = 1, int contentBytes = 200, string? queueId = null) => new(
        RetryEntry.NewId(),
        domain,
        new SpoolMessage(queueId ?? $"Q{Guid.NewGuid():N}"[..16], "alice@source.test", Now.AddMinutes(-5), contentBytes, "env-1", DsnReturn.Headers, false, true),
        [.. Enumerable.Range(0, recipients).Select(i => new EnvelopeRecipient($"r{i}@{domain}", domain, DsnNotify.Failure | DsnNotify.Delay, $"rfc822;r{i}@{domain}"))],
        Attempts: 1,
        LastReply: "451 4.3.0 Try again later",
        Receives: 0,
        MovedAt: Now,
        Content: Encoding.ASCII.GetBytes(("Subject: test\r\n\r\n" + new string('x', contentBytes)).Substring(0, contentBytes)));

    [Fact]
    public async Task AnEntryComesBackWhole()
    {
        var tier = Tier(NewService());
        var entry = Entry("dest.test");
        await tier.AddAsync(entry, Now, default);

        var received = Assert.Single(await ReceiveAllAsync(tier, 1));
        AssertSame(entry, received.Entry);
        Assert.Equal(tier.PartitionOf("dest.test"), received.Partition);
        Assert.Equal(0, received.UnrecordedReceives);
    }

    [Fact]
    public async Task BigContentAndAThousandRecipientsComeBackWhole()
    {
        var tier = Tier(NewService());
        var big = Entry("big.test", recipients: 1000, contentBytes: 50 * 1024);
        await tier.AddAsync(big, Now, default);

        var received = Assert.Single(await ReceiveAllAsync(tier, 1));
        AssertSame(big, received.Entry);

        // A rewrite keeps the body and carries the recipients that remain.
        var fewer = received.Entry with { Recipients = [.. big.Recipients.Take(10)], Attempts = 2, Receives = 1 };
        Assert.True(await tier.RescheduleAsync(received, fewer, Now, default));
        AssertSame(fewer, Assert.Single(await ReceiveAllAsync(tier, 1)).Entry);
    }

    [Fact]
    public async Task AnEntryDueLaterStaysHiddenUntilThen()
    {
        var tier = Tier(NewService());
        await tier.AddAsync(Entry("later.test"), Now.AddSeconds(3), default);

        Assert.Empty(await tier.ReceiveAsync(tier.PartitionOf("later.test"), 32, s_lease, default));
        Assert.Single(await ReceiveAllAsync(tier, 1));
    }

    [Fact]
    public async Task AReceivedEntryIsHiddenForItsLeaseThenAnotherConsumerTakesItOver()
    {
        var tier = Tier(NewService());
        await tier.AddAsync(Entry("lease.test"), Now, default);
        var partition = tier.PartitionOf("lease.test");

        var first = Assert.Single(await tier.ReceiveAsync(partition, 32, TimeSpan.FromSeconds(2), default));
        Assert.Empty(await tier.ReceiveAsync(partition, 32, s_lease, default));
        // The lease ran out unrecorded: the next consumer sees one receive left no trace.
        var second = Assert.Single(await ReceiveAllAsync(tier, 1));
        Assert.Equal(1, second.UnrecordedReceives);

        Assert.False(await tier.ExtendAsync(first, s_lease, default));
        Assert.False(await tier.RescheduleAsync(first, first.Entry with { Attempts = 9 }, Now, default));
        Assert.False(await tier.DeleteAsync(first, default));
        Assert.True(await tier.ExtendAsync(second, s_lease, default));
        Assert.True(await tier.DeleteAsync(second, default));
    }

    [Fact]
    public async Task ExtendingAndReschedulingRenewTheReceiptAndRewriteTheEntry()
    {
        var tier = Tier(NewService());
        await tier.AddAsync(Entry("resched.test"), Now, default);
        var received = Assert.Single(await ReceiveAllAsync(tier, 1));
        var receipt = received.PopReceipt;

        Assert.True(await tier.ExtendAsync(received, s_lease, default));
        Assert.NotEqual(receipt, received.PopReceipt);
        var updated = received.Entry with { Attempts = 2, LastReply = "452 4.2.2 Mailbox full", Receives = (int)received.DequeueCount };
        Assert.True(await tier.RescheduleAsync(received, updated, Now, default));

        var again = Assert.Single(await ReceiveAllAsync(tier, 1));
        AssertSame(updated, again.Entry);
        Assert.Equal(0, again.UnrecordedReceives);
    }

    [Fact]
    public async Task TheIndexCountsEntriesPerDomainUntilTheyAreDeleted()
    {
        var tier = Tier(NewService());
        await Task.WhenAll(
            tier.AddAsync(Entry("a.test"), Now.AddHours(1), default),
            tier.AddAsync(Entry("a.test"), Now.AddHours(1), default),
            tier.AddAsync(Entry("b.test"), Now, default));
        var counts = await tier.CountByDomainAsync(default);
        Assert.Equal(2, counts["a.test"]);
        Assert.Equal(1, counts["b.test"]);

        Assert.True(await tier.DeleteAsync(Assert.Single(await ReceiveAllAsync(tier, 1)), default));
        Assert.False((await tier.CountByDomainAsync(default)).ContainsKey("b.test"));
    }

    [Fact]
    public async Task RecipientsNotedFinishedDoNotComeBackWhenTheRewriteWasLost()
    {
        var tier = Tier(NewService());
        var entry = Entry("finished.test", recipients: 3);
        await tier.AddAsync(entry, Now, default);
        var first = Assert.Single(await ReceiveAllAsync(tier, 1, TimeSpan.FromSeconds(2)));

        // The holder delivered r0 and r2, and its rewrite never went through.
        await tier.RecordFinishedAsync(first, [entry.Recipients[0], entry.Recipients[2]], default);

        var second = Assert.Single(await ReceiveAllAsync(tier, 1));
        Assert.Equal(1, second.UnrecordedReceives);
        Assert.Equal([entry.Recipients[1]], second.Entry.Recipients);
    }

    [Fact]
    public async Task AnEntryRewrittenAfterItsRecipientsWereNotedComesBackWithTheRewrite()
    {
        var tier = Tier(NewService());
        var entry = Entry("rewritten.test", recipients: 2);
        await tier.AddAsync(entry, Now, default);
        var first = Assert.Single(await ReceiveAllAsync(tier, 1, TimeSpan.FromSeconds(2)));
        await tier.RecordFinishedAsync(first, [entry.Recipients[0]], default);
        var second = Assert.Single(await ReceiveAllAsync(tier, 1));

        // The second holder finishes nothing and defers r1: its rewrite is the entry now.
        Assert.True(await tier.RescheduleAsync(second, second.Entry with { Attempts = 2, Receives = (int)second.DequeueCount }, Now, default));

        var third = Assert.Single(await ReceiveAllAsync(tier, 1));
        Assert.Equal(0, third.UnrecordedReceives);
        Assert.Equal([entry.Recipients[1]], third.Entry.Recipients);
    }

    [Fact]
    public async Task FewerPartitionsStrandNothing()
    {
        var service = NewService();
        var wide = Tier(service, partitions: 16);
        var domains = Enumerable.Range(0, 12).Select(i => $"d{i}.test").ToList();
        await Task.WhenAll(domains.Select(d => wide.AddAsync(Entry(d), Now, default)));

        var narrow = Tier(service, partitions: 2);
        Assert.True((await narrow.PartitionsAsync(default)).Count > 2);
        var received = await ReceiveAllAsync(narrow, domains.Count);
        Assert.Equal(domains.Order(), received.Select(r => r.Entry.Domain).Order());
    }

    [Fact]
    public async Task ATombstoneIsKeptAndMakesItsEntriesDueNow()
    {
        var tier = Tier(NewService());
        var entry = Entry("gone.test");
        await tier.AddAsync(entry, Now.AddHours(1), default);
        var tombstone = new RetryTombstone("gone.test", null, Bounce: true, Now.AddSeconds(1));

        await tier.AddTombstoneAsync(tombstone, TimeSpan.Zero, default);

        Assert.Equal(tombstone, Assert.Single(await tier.TombstonesAsync(Now.AddMinutes(-1), default)));
        var received = Assert.Single(await ReceiveAllAsync(tier, 1));
        Assert.True(tombstone.Matches(received.Entry));
        Assert.False(tombstone.Matches(received.Entry with { Domain = "other.test" }));
        // Moved in after the action, accepted before it: it matches; accepted after it: it does not.
        Assert.True(tombstone.Matches(received.Entry with { MovedAt = tombstone.At.AddSeconds(1) }));
        Assert.False(tombstone.Matches(received.Entry with { Message = received.Entry.Message with { ReceivedAt = tombstone.At.AddSeconds(1) } }));
    }

    [Fact]
    public async Task TombstonesOlderThanAskedAreLeftOutAndPruned()
    {
        var tier = Tier(NewService());
        var old = new RetryTombstone("old.test", null, Bounce: false, Now.AddDays(-9));
        var recent = new RetryTombstone(null, "Q123", Bounce: true, Now);
        await tier.AddTombstoneAsync(old, TimeSpan.Zero, default);
        await tier.AddTombstoneAsync(recent, TimeSpan.Zero, default);

        Assert.Equal([old, recent], await tier.TombstonesAsync(Now.AddDays(-10), default));
        Assert.Equal([recent], await tier.TombstonesAsync(Now.AddDays(-6), default));
        Assert.Equal([recent], await tier.TombstonesAsync(Now.AddDays(-10), default));
    }

    /// <summary>Receives from every partition until <paramref name="count"/> entries came (at most 15 s), each hidden for <paramref name="lease"/> (30 s by default).</summary>
    public static async Task<List<ReceivedEntry>> ReceiveAllAsync(IRetryTier tier, int count, TimeSpan? lease = null)
    {
        var received = new List<ReceivedEntry>();
        await Polling.UntilAsync(
            async () =>
            {
                foreach (var partition in await tier.PartitionsAsync(default))
                {
                    received.AddRange(await tier.ReceiveAsync(partition, 32, lease ?? s_lease, default));
                }
                return received.Count >= count;
            },
            TimeSpan.FromSeconds(15),
            () => $"{received.Count} of {count} entries received",
            TimeSpan.FromMilliseconds(200));
        return received;
    }

    private static void AssertSame(RetryEntry expected, RetryEntry actual)
    {
        Assert.Equal(expected with { Recipients = [], Content = default, MovedAt = default }, actual with { Recipients = [], Content = default, MovedAt = default });
        Assert.Equal(expected.MovedAt.ToUnixTimeMilliseconds(), actual.MovedAt.ToUnixTimeMilliseconds());
        Assert.Equal(expected.Recipients, actual.Recipients);
        Assert.Equal(expected.Content.ToArray(), actual.Content.ToArray());
    }
}
