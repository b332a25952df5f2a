using MailCluster.Delivery.Outcomes;
using MailCluster.Dns.Mx;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Delivery.Tests;

public sealed class DeliveryOutcomeClassifierTests
{
    public static TheoryData<int, string?, SmtpPhase, string, string, bool> Replies() => new()
    {
        // code, enhanced, phase → verdict, status, slow down (a 4.7.x alone no longer slows the site: response rules decide)
        { 250, "2.0.0", SmtpPhase.EndOfData, "Delivered", "2.0.0", false },
        { 250, null, SmtpPhase.EndOfData, "Delivered", "2.0.0", false },
        { 251, "2.1.5", SmtpPhase.Rcpt, "Delivered", "2.1.5", false },
        { 421, "4.7.0", SmtpPhase.Rcpt, "Deferred", "4.7.0", true },
        { 421, null, SmtpPhase.Greeting, "Deferred", "4.0.0", true },
        { 421, "4.3.2", SmtpPhase.Mail, "Deferred", "4.3.2", true },
        { 450, "4.2.0", SmtpPhase.Rcpt, "Deferred", "4.2.0", false },
        { 450, "4.7.1", SmtpPhase.Rcpt, "Deferred", "4.7.1", false },
        { 451, "4.3.0", SmtpPhase.Rcpt, "Deferred", "4.3.0", false },
        { 451, "4.7.1", SmtpPhase.Mail, "Deferred", "4.7.1", false },
        { 451, "4.7.650", SmtpPhase.EndOfData, "Deferred", "4.7.650", false },
        { 451, null, SmtpPhase.EndOfData, "Deferred", "4.0.0", false },
        { 452, "4.2.2", SmtpPhase.Rcpt, "Deferred", "4.2.2", false },
        { 452, "4.5.3", SmtpPhase.Rcpt, "Deferred", "4.5.3", false },
        { 454, "4.7.0", SmtpPhase.StartTls, "Deferred", "4.7.0", false },
        { 500, "5.5.1", SmtpPhase.Mail, "Bounced", "5.5.1", false },
        { 501, "5.1.3", SmtpPhase.Rcpt, "Bounced", "5.1.3", false },
        { 502, "5.5.1", SmtpPhase.Ehlo, "Bounced", "5.5.1", false },
        { 503, "5.5.1", SmtpPhase.Rcpt, "Deferred", "4.5.1", false },
        { 503, null, SmtpPhase.Data, "Deferred", "4.0.0", false },
        { 550, "5.1.1", SmtpPhase.Rcpt, "Bounced", "5.1.1", false },
        { 550, "5.7.1", SmtpPhase.EndOfData, "Bounced", "5.7.1", false },
        { 550, null, SmtpPhase.Rcpt, "Bounced", "5.0.0", false },
        { 551, "5.1.6", SmtpPhase.Rcpt, "Bounced", "5.1.6", false },
        { 552, "5.5.3", SmtpPhase.Rcpt, "Deferred", "4.5.3", false },
        { 552, "5.2.2", SmtpPhase.Rcpt, "Bounced", "5.2.2", false },
        { 552, null, SmtpPhase.Rcpt, "Bounced", "5.0.0", false },
        { 552, "5.3.4", SmtpPhase.EndOfData, "Bounced", "5.3.4", false },
        { 553, "5.1.8", SmtpPhase.Mail, "Bounced", "5.1.8", false },
        { 554, "5.7.1", SmtpPhase.EndOfData, "Bounced", "5.7.1", false },
        { 554, "5.6.0", SmtpPhase.EndOfData, "Bounced", "5.6.0", false },
        { 554, "5.6.3", SmtpPhase.Mail, "Bounced", "5.6.3", false },
        { 553, "5.6.7", SmtpPhase.Mail, "Bounced", "5.6.7", false },
        { 354, null, SmtpPhase.EndOfData, "Deferred", "4.5.0", false },
        { 220, null, SmtpPhase.Rcpt, "Delivered", "2.0.0", false },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public void RepliesAreClassified(int code, string? enhanced, SmtpPhase phase, string verdict, string status, bool slowDown)
    {
        EnhancedStatusCode? parsed = enhanced is null ? null : EnhancedStatusCode.TryParse(enhanced, out var e) ? e : throw new ArgumentException(enhanced);
        var outcome = DeliveryOutcomeClassifier.FromReply(new SmtpReply(code, parsed, "text"), phase);
        Assert.Equal((verdict, status, slowDown, (int?)code), (outcome.Verdict.ToString(), outcome.Status.ToString(), outcome.SlowDown, outcome.ReplyCode));
        Assert.Contains("text", outcome.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(530, "5.7.0")]
    [InlineData(550, "5.7.10")]
    [InlineData(554, "5.7.11")]
    public void AReplyWantingTlsDefersWhenTheSessionIsPlaintextAfterAFailedHandshakeAndBouncesOtherwise(int code, string enhanced)
    {
        Assert.True(EnhancedStatusCode.TryParse(enhanced, out var status));
        var reply = new SmtpReply(code, status, "Must issue a STARTTLS command first");

        var afterFallback = DeliveryOutcomeClassifier.FromReply(reply, SmtpPhase.Mail, afterTlsFallback: true);
        var plain = DeliveryOutcomeClassifier.FromReply(reply, SmtpPhase.Mail);

        Assert.Equal((DeliveryVerdict.Deferred, "4.7.5", SmtpPhase.Mail), (afterFallback.Verdict, afterFallback.Status.ToString(), afterFallback.Phase));
        Assert.Equal(DeliveryVerdict.Bounced, plain.Verdict);
        Assert.Equal(DeliveryVerdict.Bounced, DeliveryOutcomeClassifier.FromReply(new SmtpReply(550, new EnhancedStatusCode(5, 1, 1), "no such user"), SmtpPhase.Rcpt, afterTlsFallback: true).Verdict);
    }

    public static TheoryData<MxResolutionKind, string, string> Resolutions() => new()
    {
        { MxResolutionKind.NullMx, "5.1.10", "Bounced" },
        { MxResolutionKind.NoSuchDomain, "5.1.2", "Bounced" },
        { MxResolutionKind.NoMailHosts, "5.4.4", "Bounced" },
        { MxResolutionKind.TemporaryFailure, "4.4.3", "Deferred" },
    };

    [Theory]
    [MemberData(nameof(Resolutions))]
    public void DnsVerdictsKeepTheirStatusAndReason(MxResolutionKind kind, string status, string verdict)
    {
        var outcome = DeliveryOutcomeClassifier.FromResolution(new MxResolution("d.test", kind, [], $"reason for {kind}"));
        Assert.Equal((verdict, status, $"reason for {kind}", (int?)null), (outcome.Verdict.ToString(), outcome.Status.ToString(), outcome.Reason, outcome.ReplyCode));
    }

    [Fact]
    public void ResolvedDomainIsNotAFailure() =>
        Assert.Throws<ArgumentException>(() => DeliveryOutcomeClassifier.FromResolution(new MxResolution("d.test", MxResolutionKind.Resolved, [], "ok")));

    [Fact]
    public void ConnectionFailuresDeferAndAskToSlowDown()
    {
        var refused = DeliveryOutcomeClassifier.ConnectionFailed("mx[192.0.2.1]: Connection refused");
        Assert.Equal((DeliveryVerdict.Deferred, "4.4.1", true), (refused.Verdict, refused.Status.ToString(), refused.SlowDown));
        var lost = DeliveryOutcomeClassifier.ConnectionLost("reset by peer");
        Assert.Equal((DeliveryVerdict.Deferred, "4.4.2", false), (lost.Verdict, lost.Status.ToString(), lost.SlowDown));
    }

    [Fact]
    public void LostAfterTheDotIsRetriedAndSaysItMayDuplicate()
    {
        var unknown = DeliveryOutcomeClassifier.UnknownOutcome("timeout");
        Assert.Equal(DeliveryVerdict.Deferred, unknown.Verdict);
        Assert.Contains("possible duplicate", unknown.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsPolicyFailureDefers() =>
        Assert.Equal((DeliveryVerdict.Deferred, "4.7.5"), (DeliveryOutcomeClassifier.TlsPolicyNotMet("no STARTTLS").Verdict, DeliveryOutcomeClassifier.TlsPolicyNotMet("x").Status.ToString()));

    [Fact]
    public void ExpiryBouncesQuotingTheLastError()
    {
        var expired = DeliveryOutcomeClassifier.Expired(new DeliveryOutcome(DeliveryVerdict.Deferred, new(4, 3, 0), "451 4.3.0 busy", ReplyCode: 451), TimeSpan.FromDays(5));
        Assert.Equal((DeliveryVerdict.Bounced, "4.4.7"), (expired.Verdict, expired.Status.ToString()));
        Assert.Equal("delivery time expired after 5 days; last error: 451 4.3.0 busy", expired.Reason);
    }
}
