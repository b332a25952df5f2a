using System.Buffers;
using System.Text;
using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Shaping;
using MailCluster.Events;
using MailCluster.Mime.Dkim;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;

namespace MailCluster.Delivery.Tests;

public sealed class AttemptRecorderTests
{
    private static readonly MxEndpoint s_mx = new("mx.dest.test", "192.0.2.1", null);

    [Fact]
    public async Task ADeliveredRecipientLeavesTheSpool()
    {
        await using var harness = new ActorHarness(new ShapingOptions());
        var job = await ClaimAsync(harness, "a@dest.test");

        harness.Recorder.Submit("dest.test", Result(job, new SmtpReply(250, new EnhancedStatusCode(2, 0, 0), "ok")));
        await harness.Recorder.DrainAsync();

        Assert.Equal(new SpoolCounts(0, 0, 0), await harness.Spool.CountAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(550, 5, 1, 1, SmtpPhase.Rcpt, true)]
    [InlineData(550, 5, 1, 10, SmtpPhase.Rcpt, true)]
    [InlineData(554, 5, 7, 1, SmtpPhase.Rcpt, false)] // refused as spam, not as nonexistent: may be mailed again
    [InlineData(550, 5, 1, 1, SmtpPhase.Mail, false)] // the sender was refused, not the recipient
    [InlineData(550, 5, 1, 1, SmtpPhase.EndOfData, false)]
    [InlineData(550, 5, 2, 1, SmtpPhase.Rcpt, true)] // a disabled mailbox (InactiveMailbox)
    [InlineData(552, 5, 2, 2, SmtpPhase.Rcpt, false)] // a full one may empty
    public async Task ARecipientTheMxSaysDoesNotExistIsSuppressed(int code, int cls, int subject, int detail, SmtpPhase phase, bool suppressed)
    {
        await using var harness = new ActorHarness(new ShapingOptions());
        var job = await ClaimAsync(harness, "gone@dest.test");

        harness.Recorder.Submit("dest.test", Result(job, new SmtpReply(code, new EnhancedStatusCode(cls, subject, detail), "no"), phase));
        await harness.Recorder.DrainAsync();

        Assert.Equal(suppressed, harness.Suppressions.IsSuppressed("gone@dest.test"));
        if (suppressed)
        {
            Assert.StartsWith($"{cls}.{subject}.{detail} from mx.dest.test", harness.Suppressions.List().Single().Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheDsnOfABounceIsSignedWhenTheReportingDomainHasAKey()
    {
        using var keys = new Testing.IO.TempDirectory();
        var key = Testing.Dkim.DkimTestKey.Ed25519(keys.Path, "silo.test", "dsn");
        var (privateKey, algorithm, _) = DkimKeyFile.Load(key.KeyFile, key.Algorithm);
        await using var harness = new ActorHarness(new ShapingOptions(), new DkimKeyRing([new DkimKey("silo.test", "dsn", algorithm, privateKey!)], null));
        var job = await ClaimAsync(harness, "gone@dest.test");

        harness.Recorder.Submit("dest.test", Result(job, new SmtpReply(550, new EnhancedStatusCode(5, 1, 1), "no such user")));
        await harness.Recorder.DrainAsync();

        var dsn = Assert.Single(await harness.Spool.ClaimDueAsync("client.test", harness.Time.GetUtcNow(), 10, except: null, CancellationToken.None));
        var content = Encoding.ASCII.GetString((await harness.Spool.ReadContentAsync(dsn.Message.QueueId, CancellationToken.None))!);
        Assert.StartsWith("DKIM-Signature:", content, StringComparison.Ordinal);
        Assert.Contains("d=silo.test", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeferredRecipientWaitsForTheFirstStepOfTheScheduleWithItsReply()
    {
        await using var harness = new ActorHarness(new ShapingOptions());
        var job = await ClaimAsync(harness, "a@dest.test");
        var now = harness.Time.GetUtcNow();

        harness.Recorder.Submit("dest.test", Result(job, new SmtpReply(451, new EnhancedStatusCode(4, 3, 0), "try later")));
        await harness.Recorder.DrainAsync();

        var stored = await harness.Spool.GetMessageAsync(job.Message.QueueId, CancellationToken.None);
        var recipient = Assert.Single(stored!.Recipients);
        Assert.Equal((RecipientState.Queued, 1), (recipient.State, recipient.Attempts));
        // The default schedule starts at 1 minute, ±10% jitter.
        Assert.InRange(recipient.NextAttemptAt - now, TimeSpan.FromSeconds(54), TimeSpan.FromSeconds(66));
        Assert.Contains("451", recipient.LastReply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeferralPastTheQueueLifetimeExpiresWithA447DsnToTheSender()
    {
        await using var harness = new ActorHarness(new ShapingOptions());
        await harness.EnqueueAsync("a@dest.test");
        harness.Time.Advance(TimeSpan.FromDays(5));
        var job = await ClaimAsync(harness);

        harness.Recorder.Submit("dest.test", Result(job, new SmtpReply(451, new EnhancedStatusCode(4, 3, 0), "try later")));
        await harness.Recorder.DrainAsync();

        var summary = Assert.Single(await harness.Spool.GetDomainSummariesAsync(harness.Time.GetUtcNow(), CancellationToken.None));
        Assert.Equal("client.test", summary.Domain);
        var dsn = Assert.Single(await harness.Spool.ClaimDueAsync("client.test", harness.Time.GetUtcNow(), 10, except: null, CancellationToken.None));
        var content = new ArrayBufferWriter<byte>();
        Assert.True(await harness.Spool.ReadContentAsync(dsn.Message.QueueId, content, CancellationToken.None));
        Assert.Contains("Status: 4.4.7", Encoding.UTF8.GetString(content.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneMessagesBouncesAtManyDomainsMakeOneDsnPerWindowReturningOnlyTheHeadersOfALargeOriginal()
    {
        await using var harness = new ActorHarness(new ShapingOptions(), dsnWindow: TimeSpan.FromSeconds(5));
        var domains = Enumerable.Range(0, 20).Select(i => $"gone{i}.test").ToList();
        var body = new string('x', 998) + "\r\n";
        var original = Encoding.ASCII.GetBytes("Subject: big\r\nX-Marker: kept\r\n\r\n" + string.Concat(Enumerable.Repeat(body, 200)));
        await harness.EnqueueAsync([.. domains.Select(d => "user@" + d)], DsnReturn.Full, original);

        // Each domain's job is recorded on its own, as its actor would (NXDOMAIN: 5.1.2 at once).
        foreach (var domain in domains)
        {
            var claimed = await harness.Spool.ClaimDueAsync(domain, harness.Time.GetUtcNow(), 10, except: null, CancellationToken.None);
            harness.Recorder.SubmitUnattempted(domain, new DeliveryJob(claimed[0].Message, claimed), DeliveryOutcomeClassifier.FromReply(new SmtpReply(550, new EnhancedStatusCode(5, 1, 2), "no such domain"), SmtpPhase.Greeting));
        }
        Assert.Empty(await harness.Spool.ClaimDueAsync("client.test", harness.Time.GetUtcNow(), 10, except: null, CancellationToken.None));

        harness.Time.Advance(TimeSpan.FromSeconds(5));
        await harness.Recorder.DrainAsync();

        var dsn = Assert.Single(await harness.Spool.ClaimDueAsync("client.test", harness.Time.GetUtcNow(), 10, except: null, CancellationToken.None));
        var content = Encoding.ASCII.GetString((await harness.Spool.ReadContentAsync(dsn.Message.QueueId, CancellationToken.None))!);
        Assert.Equal(20, domains.Count(d => content.Contains("Final-Recipient: rfc822; user@" + d + "\r\n", StringComparison.Ordinal)));
        // RET=FULL, but the original is over Delivery:Dsn:MaxReturnedContent: its header section only (RFC 3461 4.3).
        Assert.Contains("Content-Type: text/rfc822-headers", content, StringComparison.Ordinal);
        Assert.Contains("X-Marker: kept", content, StringComparison.Ordinal);
        Assert.DoesNotContain("xxxxxxxxxx", content, StringComparison.Ordinal);
        Assert.InRange(content.Length, 1, ActorHarness.MaxReturnedContent);
        // The original is gone with its last recipient; the DSN is the only message left.
        Assert.Equal(1, (await harness.Spool.CountAsync(CancellationToken.None)).Messages);
    }

    [Fact]
    public async Task EachOutcomeCommitsItsEventWithTheAttemptTheMxAndTheNextTry()
    {
        await using var harness = new ActorHarness(new ShapingOptions(), events: true);
        var job = await ClaimAsync(harness, "a@dest.test");

        harness.Recorder.Submit("dest.test", Result(job, new SmtpReply(451, new EnhancedStatusCode(4, 2, 1), "mailbox busy")));
        await harness.Recorder.DrainAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(2));
        job = await ClaimAsync(harness);
        harness.Recorder.Submit("dest.test", Result(job, new SmtpReply(250, new EnhancedStatusCode(2, 0, 0), "queued as 1")));
        await harness.Recorder.DrainAsync();

        var (deferred, delivered) = Assert.Single(Pairs(await EventsAsync(harness)));
        Assert.Equal((EventKind.TransientFailure, 1, "4.2.1", "mx.dest.test", "192.0.2.1"), (deferred.Kind, deferred.Attempt, deferred.Status, deferred.MxHost, deferred.MxAddress));
        Assert.Equal(job.Message.QueueId, deferred.QueueId);
        Assert.NotNull(deferred.NextAttempt);
        Assert.Equal((EventKind.Delivery, 2, "silo-test", "a@dest.test"), (delivered.Kind, delivered.Attempt, delivered.Silo, delivered.Recipient));
        Assert.Null(delivered.Category);
        Assert.NotEqual(deferred.Id, delivered.Id);
    }

    [Fact]
    public async Task ABounceAnExpiryAndAnOperatorsBounceAreToldApartAndNameTheirDsn()
    {
        await using var harness = new ActorHarness(new ShapingOptions(), events: true);
        var bounced = await ClaimAsync(harness, "gone@dest.test");
        harness.Recorder.Submit("dest.test", Result(bounced, new SmtpReply(550, new EnhancedStatusCode(5, 1, 1), "no such user")));
        await harness.Recorder.DrainAsync();
        await harness.EnqueueAsync("late@dest.test");
        harness.Time.Advance(TimeSpan.FromDays(5));
        var expired = await ClaimAsync(harness);
        harness.Recorder.Submit("dest.test", Result(expired, new SmtpReply(451, new EnhancedStatusCode(4, 3, 0), "try later")));
        await harness.Recorder.DrainAsync();
        await harness.EnqueueAsync("held@dest.test");

        Assert.Equal(1, await harness.Queue.BounceAsync(RecipientSelector.ForDomain("dest.test"), CancellationToken.None));

        var events = (await EventsAsync(harness)).Where(e => e.Recipient.EndsWith("@dest.test", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [(EventKind.Bounce, "gone@dest.test", "5.1.1", "InvalidRecipient"), (EventKind.Expiration, "late@dest.test", "4.4.7", "MessageExpired"), (EventKind.AdminBounce, "held@dest.test", "5.0.0", "Unclassified")],
            events.Select(e => (e.Kind, e.Recipient, e.Status!, e.Category!)));
        Assert.All(events, e => Assert.NotNull(e.DsnQueueId));
        Assert.Null(events[2].Attempt);
    }

    private static async Task<List<DeliveryEvent>> EventsAsync(ActorHarness harness) =>
        [.. (await harness.Spool.ReadAsync(0, 100, CancellationToken.None)).Select(e => DeliveryEvent.FromJson(e.Body)!)];

    private static IEnumerable<(DeliveryEvent, DeliveryEvent)> Pairs(List<DeliveryEvent> events) => events.Chunk(2).Select(p => (p[0], p[1]));

    private static async Task<DeliveryJob> ClaimAsync(ActorHarness harness, string? recipient = null)
    {
        if (recipient is not null)
        {
            await harness.EnqueueAsync(recipient);
        }
        var claimed = await harness.Spool.ClaimDueAsync("dest.test", harness.Time.GetUtcNow(), 10, except: null, CancellationToken.None);
        return new DeliveryJob(Assert.Single(claimed).Message, claimed);
    }

    private static JobResult Result(DeliveryJob job, SmtpReply reply, SmtpPhase phase = SmtpPhase.Rcpt) =>
        new(job, [DeliveryOutcomeClassifier.FromReply(reply, phase)], s_mx, TimeSpan.FromMilliseconds(5), ConnectionUsable: true);
}
