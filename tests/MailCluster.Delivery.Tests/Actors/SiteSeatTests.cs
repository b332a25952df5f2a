using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;

namespace MailCluster.Delivery.Tests.Actors;

/// <summary>A domain's limits and its seat at their site, over the site rules answered in process.</summary>
public sealed class SiteSeatTests
{
    private readonly RecordingMailbox _mailbox = new();

    [Fact]
    public async Task WithoutMxRulesTheSeatIsTakenAtOnceAndTheFirstGrantWakesTheActor()
    {
        await using var harness = new ActorHarness(new ShapingOptions());
        var seat = new SiteSeat(_mailbox, harness.Runtime);
        Assert.False(seat.Seated);

        Assert.Null(seat.Resolve(CancellationToken.None));

        Assert.True(seat.Seated);
        Assert.False(seat.Read(harness.Time.GetUtcNow()).Suspended);
        Assert.Equal(seat.Standing, seat.Read(harness.Time.GetUtcNow()));
        Assert.Contains(_mailbox.Posted, c => c is DomainCommand.Tick);

        seat.Leave();
        Assert.False(seat.Seated);
    }

    [Fact]
    public async Task WithMxRulesTheLookupPostsTheLimitsOfTheMxSite()
    {
        await using var harness = new ActorHarness(new ShapingOptions { Rules = [new ShapingRule { Match = "mx:.dest.test", MaxConnections = 2 }] });
        var seat = new SiteSeat(_mailbox, harness.Runtime);

        await seat.Resolve(CancellationToken.None)!;

        Assert.False(seat.Seated);
        var resolved = Assert.IsType<DomainCommand.ShapingResolved>(Assert.Single(_mailbox.Posted));
        Assert.Equal(("mx.dest.test", "mx:.dest.test"), (resolved.PrimaryMx, resolved.Shaping.SiteKey));
        seat.Take(resolved.Shaping, resolved.PrimaryMx);
        Assert.True(seat.Seated);
    }

    [Fact]
    public async Task ASlowDownPausesTheSiteAndACleanTransactionDoesNot()
    {
        await using var harness = new ActorHarness(new ShapingOptions());
        var seat = new SiteSeat(_mailbox, harness.Runtime);
        Assert.Null(seat.Resolve(CancellationToken.None));
        var now = harness.Time.GetUtcNow();

        var source = harness.Egress.DefaultPool.Members[0].Source;
        seat.Finished(Result(new SmtpReply(250, new EnhancedStatusCode(2, 0, 0), "ok")), source);
        Assert.True(seat.Read(now).PausedUntil <= now);

        seat.Finished(Result(new SmtpReply(421, new EnhancedStatusCode(4, 7, 0), "slow down")), source);
        Assert.True(seat.Read(now).PausedUntil > now);
    }

    private static JobResult Result(SmtpReply reply)
    {
        var message = new SpoolMessage("Q1", "s@client.test", DateTimeOffset.UnixEpoch, 10, null, DsnReturn.Unspecified, false, false);
        var job = DeliveryJob.Batch([new DueRecipient(1, new EnvelopeRecipient("r@dest.test", "dest.test", DsnNotify.Unspecified, null), 0, message)], perTransaction: 1)[0];
        return new JobResult(job, [DeliveryOutcomeClassifier.FromReply(reply, SmtpPhase.Rcpt)], null, TimeSpan.Zero, ConnectionUsable: true);
    }
}
