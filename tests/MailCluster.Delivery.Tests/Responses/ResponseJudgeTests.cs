using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Responses;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailCluster.Delivery.Tests.Responses;

/// <summary>What each action does to the RFC verdict on a reply, and the category an outcome carries with and without a rule.</summary>
public sealed class ResponseJudgeTests
{
    private static ResponseJudge Judge(ResponseRuleOptions rule)
    {
        var rules = new ResponseRules(NullLogger.Instance);
        rules.Replace(new ResponseRulesOptions { Rules = [rule] });
        return new ResponseJudge(rules);
    }

    private static DeliveryOutcome Judged(ResponseRuleOptions rule, SmtpReply reply, SmtpPhase phase = SmtpPhase.Rcpt) =>
        Judge(rule).Judge(DeliveryOutcomeClassifier.FromReply(reply, phase), reply, phase, "dest.test", "mx.dest.test");

    private static readonly SmtpReply s_greylisted = new(450, new EnhancedStatusCode(4, 7, 1), "Greylisted, please try again later");
    private static readonly SmtpReply s_tss04 = new(421, new EnhancedStatusCode(4, 7, 0), "[TSS04] Messages from 203.0.113.7 temporarily deferred");

    [Fact]
    public void DeferOnlyRetriesTheRecipientEvenForA421()
    {
        var outcome = Judged(new ResponseRuleOptions { Name = "grey", Text = "try again", Action = ResponseAction.Defer, Category = ReplyCategory.Greylisted }, s_greylisted);
        var closing = Judged(new ResponseRuleOptions { Name = "soft-421", Codes = [421], Action = ResponseAction.Defer, Category = ReplyCategory.Unclassified }, s_tss04);

        Assert.Equal((DeliveryVerdict.Deferred, false, "grey", ReplyCategory.Greylisted), (outcome.Verdict, outcome.SlowDown, outcome.Rule, outcome.Category));
        Assert.False(closing.SlowDown);
    }

    [Fact]
    public void BackoffAndSuspendCarryTheirDurationFactorAndRuleToTheSite()
    {
        var backoff = Judged(new ResponseRuleOptions { Name = "ms-650", Enhanced = "4.7.650", Action = ResponseAction.Backoff, Duration = TimeSpan.FromMinutes(15), Factor = 0.25, Category = ReplyCategory.RateLimited },
            new SmtpReply(451, new EnhancedStatusCode(4, 7, 650), "The mail server [203.0.113.7] has been temporarily rate limited due to IP reputation."), SmtpPhase.EndOfData);
        var suspend = Judged(new ResponseRuleOptions { Name = "yahoo-tss04", Text = "TSS04", Action = ResponseAction.Suspend, Duration = TimeSpan.FromHours(2), Category = ReplyCategory.RateLimited }, s_tss04, SmtpPhase.Greeting);

        Assert.Equal(new Cluster.Sites.SiteSlowDown(TimeSpan.FromMinutes(15), 0.25, "ms-650", Suspend: false), backoff.Effect);
        Assert.Equal(new Cluster.Sites.SiteSlowDown(TimeSpan.FromHours(2), 1, "yahoo-tss04", Suspend: true), suspend.Effect);
        Assert.Equal(DeliveryVerdict.Deferred, suspend.Verdict);
    }

    [Fact]
    public void BounceAndSuppressFailA4xxPermanentlyWithAPermanentStatus()
    {
        var reply = new SmtpReply(452, new EnhancedStatusCode(4, 2, 2), "The email account that you tried to reach is over quota and inactive");
        var bounced = Judged(new ResponseRuleOptions { Name = "inactive", Text = "inactive", Action = ResponseAction.Bounce, Category = ReplyCategory.InactiveMailbox }, reply);
        var suppressed = Judged(new ResponseRuleOptions { Name = "gone", Text = "inactive", Action = ResponseAction.Suppress, Category = ReplyCategory.InactiveMailbox }, reply);

        Assert.Equal((DeliveryVerdict.Bounced, "5.2.2", false), (bounced.Verdict, bounced.Status.ToString(), bounced.Suppress));
        Assert.Equal((DeliveryVerdict.Bounced, "5.2.2", true), (suppressed.Verdict, suppressed.Status.ToString(), suppressed.Suppress));
    }

    [Fact]
    public void ARuleWithoutAnActionKeepsTheRfcVerdictAndGivesItsCategory()
    {
        var outcome = Judged(new ResponseRuleOptions { Name = "spamhaus", Text = "spamhaus", Category = ReplyCategory.SpamRelated },
            new SmtpReply(554, new EnhancedStatusCode(5, 7, 1), "Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org"));

        Assert.Equal((DeliveryVerdict.Bounced, ReplyCategory.SpamRelated, "spamhaus"), (outcome.Verdict, outcome.Category, outcome.Rule));
    }

    [Fact]
    public void WithoutARuleTheStatusGivesTheCategoryAndDeliveredRepliesAreNeverJudged()
    {
        var judge = Judge(new ResponseRuleOptions { Name = "anything", Action = ResponseAction.Bounce, Category = ReplyCategory.PolicyRelated });
        var delivered = new SmtpReply(250, new EnhancedStatusCode(2, 0, 0), "ok");
        var unknown = new SmtpReply(550, new EnhancedStatusCode(5, 1, 1), "User unknown");

        Assert.Equal(DeliveryVerdict.Delivered, judge.Judge(DeliveryOutcomeClassifier.FromReply(delivered, SmtpPhase.EndOfData), delivered, SmtpPhase.EndOfData, "d.test", null).Verdict);
        Assert.Equal(ReplyCategory.InvalidRecipient, DeliveryOutcomeClassifier.FromReply(unknown, SmtpPhase.Rcpt).Category);
        Assert.Equal(ReplyCategory.MessageExpired, DeliveryOutcomeClassifier.Expired(DeliveryOutcomeClassifier.ConnectionLost("x"), TimeSpan.FromDays(5)).Category);
    }

    [Theory]
    [InlineData("5.1.1", "InvalidRecipient")]
    [InlineData("5.1.10", "BadDomain")]
    [InlineData("5.2.1", "InactiveMailbox")]
    [InlineData("4.2.2", "QuotaIssues")]
    [InlineData("5.3.4", "ContentRelated")]
    [InlineData("5.6.3", "ContentRelated")]
    [InlineData("5.7.26", "AuthenticationFailure")]
    [InlineData("5.7.27", "PolicyRelated")]
    [InlineData("5.7.1", "PolicyRelated")]
    [InlineData("4.4.7", "MessageExpired")]
    [InlineData("5.5.1", "ProtocolError")]
    [InlineData("4.3.0", "Unclassified")]
    public void TheStatusAloneGivesACategory(string status, string category)
    {
        Assert.True(EnhancedStatusCode.TryParse(status, out var code));
        Assert.Equal(category, ReplyCategories.FromStatus(code).ToString());
    }
}
