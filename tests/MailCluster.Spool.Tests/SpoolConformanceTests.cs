using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;
using MailCluster.Testing.IO;

namespace MailCluster.Spool.Tests;

/// <summary>What every spool backend must do; each backend's test class inherits these.</summary>
public abstract class SpoolConformanceTests
{
    private int _sequence;

    /// <summary>Opens the backend on the same storage every time it is called within one test.</summary>
    private protected abstract ISpool Open();

    protected static ReadOnlySequence<byte> Content(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>A new message to the given recipients; its size is measured by the spool when the content is enqueued.</summary>
    protected SpoolEnvelope Envelope(params string[] recipients) => new(
        new SpoolMessage(
            $"TEST{Interlocked.Increment(ref _sequence):D8}",
            "sender@client.test",
            new DateTimeOffset(2026, 11, 23, 1, 0, 0, TimeSpan.Zero),
            Size: 0,
            "env-1",
            DsnReturn.Headers,
            SmtpUtf8: false,
            EightBitMime: true),
        recipients.Select(r => new EnvelopeRecipient(r, r[(r.IndexOf('@') + 1)..].ToLowerInvariant(), DsnNotify.Failure, null)).ToArray());

    protected static SpoolEnvelope InPool(SpoolEnvelope envelope, string pool) => envelope with { Message = envelope.Message with { Pool = pool } };

    [Fact]
    public async Task EnqueuedMessageIsStoredWithOneRowPerRecipient()
    {
        await using var spool = Open();
        var envelope = Envelope("a@one.test", "b@Two.test");
        await spool.EnqueueAsync(envelope, Content("Subject: x\r\n\r\nbody\r\n"), CancellationToken.None);

        var stored = await spool.GetMessageAsync(envelope.Message.QueueId, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(envelope.Message with { Size = 20 }, stored.Message);
        Assert.Collection(
            stored.Recipients,
            r => Assert.Equal((envelope.Recipients[0], RecipientState.Queued, 0, envelope.Message.ReceivedAt), (r.Recipient, r.State, r.Attempts, r.NextAttemptAt)),
            r => Assert.Equal(("b@Two.test", "two.test", DsnNotify.Failure), (r.Recipient.Address, r.Recipient.Domain, r.Recipient.Notify)));
    }

    [Fact]
    public async Task AMessagesEgressPoolComesBackWithItsClaimsAndItsHandOff()
    {
        await using var spool = Open();
        var chosen = InPool(Envelope("a@one.test"), "bulk");
        var unchosen = Envelope("b@one.test");
        await spool.EnqueueAsync(chosen, Content("x\r\n"), CancellationToken.None);
        await spool.EnqueueAsync(unchosen, Content("y\r\n"), CancellationToken.None);

        Assert.Equal("bulk", (await spool.GetMessageAsync(chosen.Message.QueueId, CancellationToken.None))!.Message.Pool);
        var claimed = await spool.ClaimDueAsync("one.test", chosen.Message.ReceivedAt, 10, except: null, CancellationToken.None);
        Assert.Equal([("a@one.test", "bulk"), ("b@one.test", null)], claimed.Select(r => (r.Address, r.Message.Pool)));
        await spool.RecordOutcomesAsync([.. claimed.Select(r => new RecipientOutcome(r.Id, OutcomeAction.Released))], CancellationToken.None);
        var handedOff = await spool.ClaimForHandOffAsync(0, 10, CancellationToken.None);
        Assert.Equal(["bulk", null], handedOff.Select(h => h.Due.Message.Pool));
    }

    [Fact]
    public async Task AClaimLeavesTheMailOfExcludedPoolsInTheQueue()
    {
        await using var spool = Open();
        var bulk = InPool(Envelope("bulk@one.test"), "bulk");
        var transactional = InPool(Envelope("tx@one.test"), "transactional");
        var unchosen = Envelope("default@one.test");
        foreach (var envelope in new[] { bulk, transactional, unchosen })
        {
            await spool.EnqueueAsync(envelope, Content("x\r\n"), CancellationToken.None);
        }
        var now = bulk.Message.ReceivedAt;

        var first = await spool.ClaimDueAsync("one.test", now, 10, new PoolExclusion(["bulk"], Unnamed: true), CancellationToken.None);
        var second = await spool.ClaimDueAsync("one.test", now, 10, new PoolExclusion(["transactional"], Unnamed: false), CancellationToken.None);

        Assert.Equal(["tx@one.test"], first.Select(r => r.Address));
        Assert.Equal(["bulk@one.test", "default@one.test"], second.Select(r => r.Address));
    }

    [Fact]
    public async Task ContentComesBackExactlyAsStoredFromManySegments()
    {
        await using var spool = Open();
        var random = new Random(7);
        var parts = Enumerable.Range(0, 5).Select(i => { var b = new byte[10_000 + i]; random.NextBytes(b); return b; }).ToArray();
        var sequence = Segments.Of(parts);
        var envelope = Envelope("a@one.test");
        await spool.EnqueueAsync(envelope, sequence, CancellationToken.None);
        Assert.Equal(parts.SelectMany(p => p).ToArray(), await spool.ReadContentAsync(envelope.Message.QueueId, CancellationToken.None));
    }

    [Fact]
    public async Task UnknownQueueIdIsNull()
    {
        await using var spool = Open();
        Assert.Null(await spool.GetMessageAsync("NOPE", CancellationToken.None));
        Assert.Null(await spool.ReadContentAsync("NOPE", CancellationToken.None));
    }

    [Fact]
    public async Task MessagesSurviveReopening()
    {
        var envelope = Envelope("a@one.test", "b@one.test");
        await using (var spool = Open())
        {
            await spool.EnqueueAsync(envelope, Content("x\r\n"), CancellationToken.None);
        }
        await using var reopened = Open();
        Assert.Equal(new SpoolCounts(1, 2, 0), await reopened.CountAsync(CancellationToken.None));
        Assert.NotNull(await reopened.GetMessageAsync(envelope.Message.QueueId, CancellationToken.None));
    }

    [Fact]
    public async Task ConcurrentEnqueuesAllCompleteAndAreCounted()
    {
        await using var spool = Open();
        var envelopes = Enumerable.Range(0, 300).Select(i => Envelope($"r{i}@d{i % 7}.test")).ToArray();
        await Task.WhenAll(envelopes.Select(e => spool.EnqueueAsync(e, Content("x\r\n"), CancellationToken.None).AsTask()));
        Assert.Equal(new SpoolCounts(300, 300, 0), await spool.CountAsync(CancellationToken.None));
    }

    private static readonly DateTimeOffset s_received = new(2026, 11, 23, 1, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ClaimHandsOutDueRecipientsOfOneDomainOnce()
    {
        await using var spool = Open();
        var first = Envelope("a@one.test", "b@two.test", "c@one.test");
        var second = Envelope("d@one.test");
        await spool.EnqueueAsync(first, Content("x\r\n"), CancellationToken.None);
        await spool.EnqueueAsync(second, Content("y\r\n"), CancellationToken.None);

        Assert.Equal(["one.test", "two.test"], (await spool.GetDueDomainsAsync(s_received, 10, CancellationToken.None)).Order());
        Assert.Empty(await spool.GetDueDomainsAsync(s_received.AddSeconds(-1), 10, CancellationToken.None));

        var claimed = await spool.ClaimDueAsync("one.test", s_received, 10, except: null, CancellationToken.None);
        Assert.Equal(["a@one.test", "c@one.test", "d@one.test"], claimed.Select(r => r.Address));
        Assert.Same(claimed[0].Message, claimed[1].Message);
        Assert.Equal((first.Message.QueueId, "sender@client.test", "env-1"), (claimed[0].Message.QueueId, claimed[0].Message.Sender, claimed[0].Message.EnvelopeId));
        Assert.Empty(await spool.ClaimDueAsync("one.test", s_received, 10, except: null, CancellationToken.None));
        Assert.Equal(["two.test"], await spool.GetDueDomainsAsync(s_received, 10, CancellationToken.None));
        Assert.Equal(new SpoolCounts(2, 1, 3), await spool.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task OutcomesRemoveRescheduleOrRelease()
    {
        await using var spool = Open();
        var envelope = Envelope("a@one.test", "b@one.test", "c@one.test", "d@one.test");
        await spool.EnqueueAsync(envelope, Content("x\r\n"), CancellationToken.None);
        var claimed = await spool.ClaimDueAsync("one.test", s_received, 10, except: null, CancellationToken.None);
        var retryAt = s_received.AddMinutes(5);

        await spool.RecordOutcomesAsync(
            [
                new RecipientOutcome(claimed[0].Id, OutcomeAction.Delivered),
                new RecipientOutcome(claimed[1].Id, OutcomeAction.Deferred, retryAt, "451 4.3.0 try later"),
                new RecipientOutcome(claimed[2].Id, OutcomeAction.Released),
                new RecipientOutcome(claimed[3].Id, OutcomeAction.Deleted, LastReply: "deleted by operator"),
            ],
            CancellationToken.None);

        var stored = await spool.GetMessageAsync(envelope.Message.QueueId, CancellationToken.None);
        Assert.Collection(
            stored!.Recipients,
            b => Assert.Equal(("b@one.test", RecipientState.Queued, 1, retryAt, "451 4.3.0 try later"), (b.Recipient.Address, b.State, b.Attempts, b.NextAttemptAt, b.LastReply)),
            c => Assert.Equal(("c@one.test", RecipientState.Queued, 0, s_received), (c.Recipient.Address, c.State, c.Attempts, c.NextAttemptAt)));
        Assert.Equal(s_received, await spool.GetNextDueTimeAsync(CancellationToken.None));

        // The released one is due at once; the deferred one only at its retry time.
        Assert.Equal(["c@one.test"], (await spool.ClaimDueAsync("one.test", s_received, 10, except: null, CancellationToken.None)).Select(r => r.Address));
        Assert.Equal(retryAt, await spool.GetNextDueTimeAsync(CancellationToken.None));
        var retried = Assert.Single(await spool.ClaimDueAsync("one.test", retryAt, 10, except: null, CancellationToken.None));
        Assert.Equal(("b@one.test", 1), (retried.Address, retried.Attempts));
        Assert.Equal(new SpoolCounts(1, 0, 2), await spool.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task OperatorSeesDomainsAndCanRetryOrClaimAMessagesRecipients()
    {
        await using var spool = Open();
        var first = Envelope("a@one.test", "b@one.test", "c@two.test");
        var second = Envelope("d@one.test");
        await spool.EnqueueAsync(first, Content("x\r\n"), CancellationToken.None);
        await spool.EnqueueAsync(second, Content("y\r\n"), CancellationToken.None);
        var claimed = await spool.ClaimDueAsync("one.test", s_received, 1, except: null, CancellationToken.None);
        await spool.RecordOutcomesAsync([new RecipientOutcome(claimed[0].Id, OutcomeAction.Deferred, s_received.AddHours(1), "451")], CancellationToken.None);

        Assert.Equal(
            [new DomainQueueSummary("one.test", 2, 1, 0, s_received), new DomainQueueSummary("two.test", 1, 0, 0, s_received)],
            await spool.GetDomainSummariesAsync(s_received, CancellationToken.None));

        // "Retry now" for the domain makes the deferred recipient due again.
        Assert.Equal(3, await spool.RescheduleAsync(RecipientSelector.ForDomain("ONE.test"), s_received, CancellationToken.None));
        Assert.Equal(3, (await spool.GetDomainSummariesAsync(s_received, CancellationToken.None))[0].Due);

        // A message's recipients are claimed across domains, whatever their schedule.
        var chosen = await spool.ClaimSelectedAsync(RecipientSelector.ForMessage(first.Message.QueueId), CancellationToken.None);
        Assert.Equal(["a@one.test", "b@one.test", "c@two.test"], chosen.Select(r => r.Address));
        Assert.Empty(await spool.ClaimSelectedAsync(RecipientSelector.ForMessage(first.Message.QueueId), CancellationToken.None));
        Assert.Equal(0, await spool.RescheduleAsync(RecipientSelector.ForMessage("NOPE"), s_received, CancellationToken.None));
    }

    [Fact]
    public async Task AnActionTakenAtAMomentSelectsOnlyMailAcceptedByThen()
    {
        await using var spool = Open();
        var before = Envelope("a@one.test");
        var after = Envelope("b@one.test");
        after = after with { Message = after.Message with { ReceivedAt = before.Message.ReceivedAt.AddMinutes(1) } };
        await spool.EnqueueAsync(before, Content("x\r\n"), CancellationToken.None);
        await spool.EnqueueAsync(after, Content("y\r\n"), CancellationToken.None);
        var at = before.Message.ReceivedAt.AddSeconds(30);

        // Another silo's bounce, taken at 'at', applied here later: mail accepted since is not its.
        Assert.Equal(1, await spool.RescheduleAsync(new RecipientSelector("one.test", null, at), s_received, CancellationToken.None));
        Assert.Equal(["a@one.test"], (await spool.ClaimSelectedAsync(new RecipientSelector("one.test", null, at), CancellationToken.None)).Select(r => r.Address));
        Assert.Equal(["b@one.test"], (await spool.ClaimSelectedAsync(RecipientSelector.ForDomain("one.test"), CancellationToken.None)).Select(r => r.Address));
    }

    [Fact]
    public async Task StatisticsReportCountsOldestArrivalAndStorage()
    {
        await using var spool = Open();
        await spool.EnqueueAsync(Envelope("a@one.test"), Content("x\r\n"), CancellationToken.None);
        var statistics = await spool.GetStatisticsAsync(CancellationToken.None);
        Assert.Equal((new SpoolCounts(1, 1, 0), (DateTimeOffset?)s_received), (statistics.Counts, statistics.OldestArrival));
        Assert.True(statistics.StorageBytes > 0);
    }

    [Fact]
    public async Task ClaimsOfAPreviousOwnerAreVoidAfterReopening()
    {
        var envelope = Envelope("a@one.test");
        await using (var spool = Open())
        {
            await spool.EnqueueAsync(envelope, Content("x\r\n"), CancellationToken.None);
            Assert.Single(await spool.ClaimDueAsync("one.test", s_received, 10, except: null, CancellationToken.None));
        }
        await using var reopened = Open();
        Assert.Equal(new SpoolCounts(1, 1, 0), await reopened.CountAsync(CancellationToken.None));
        Assert.Single(await reopened.ClaimDueAsync("one.test", s_received, 10, except: null, CancellationToken.None));
    }

    [Fact]
    public async Task LastRecipientsOutcomeRemovesTheMessage()
    {
        await using var spool = Open();
        var envelope = Envelope("a@one.test", "b@one.test");
        await spool.EnqueueAsync(envelope, Content("x\r\n"), CancellationToken.None);
        var claimed = await spool.ClaimDueAsync("one.test", s_received, 10, except: null, CancellationToken.None);
        await spool.RecordOutcomesAsync([new RecipientOutcome(claimed[0].Id, OutcomeAction.Delivered), new RecipientOutcome(claimed[1].Id, OutcomeAction.Bounced)], CancellationToken.None);
        Assert.Null(await spool.GetMessageAsync(envelope.Message.QueueId, CancellationToken.None));
        Assert.Null(await spool.ReadContentAsync(envelope.Message.QueueId, CancellationToken.None));
        Assert.Equal(new SpoolCounts(0, 0, 0), await spool.CountAsync(CancellationToken.None));
        Assert.Null(await spool.GetNextDueTimeAsync(CancellationToken.None));
    }
}
