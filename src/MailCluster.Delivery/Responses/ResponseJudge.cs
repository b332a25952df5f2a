using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Outcomes;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Delivery.Responses;

/// <summary>
/// The response rules' word on a reply: the RFC verdict (<see cref="DeliveryOutcomeClassifier"/>)
/// stands unless a rule matches; then the rule's category and name go with the outcome, and its
/// action, when it has one, replaces what the RFC verdict would do.
/// </summary>
internal sealed class ResponseJudge(ResponseRules rules)
{
    public DeliveryOutcome Judge(DeliveryOutcome verdict, SmtpReply reply, SmtpPhase phase, string domain, string? mxHost)
    {
        if (reply.IsPositive || rules.Count == 0 || rules.Match(ReplyFacts.Of(reply, PhaseOf(phase), domain, mxHost)) is not { } rule)
        {
            return verdict;
        }
        var judged = verdict with { Rule = rule.Name, RuleCategory = rule.Category };
        var status = reply.Enhanced ?? verdict.Status;
        return rule.Action switch
        {
            ResponseAction.Defer => judged with { Verdict = DeliveryVerdict.Deferred, Status = status.AsTransient(), Effect = null },
            ResponseAction.Backoff => judged with { Verdict = DeliveryVerdict.Deferred, Status = status.AsTransient(), Effect = new SiteSlowDown(rule.Duration, rule.Factor, rule.Name, Suspend: false) },
            ResponseAction.Suspend => judged with { Verdict = DeliveryVerdict.Deferred, Status = status.AsTransient(), Effect = new SiteSlowDown(rule.Duration, 1, rule.Name, Suspend: true) },
            // RFC 3463 2: a permanent failure's class is 5, whatever class the reply had.
            ResponseAction.Bounce => judged with { Verdict = DeliveryVerdict.Bounced, Status = status with { Class = 5 }, Effect = null },
            ResponseAction.Suppress => judged with { Verdict = DeliveryVerdict.Bounced, Status = status with { Class = 5 }, Effect = null, Suppress = true },
            _ => judged,
        };
    }

    private static ReplyPhase PhaseOf(SmtpPhase phase) => phase switch
    {
        SmtpPhase.Greeting => ReplyPhase.Connect,
        SmtpPhase.Ehlo or SmtpPhase.StartTls => ReplyPhase.Helo,
        SmtpPhase.Mail => ReplyPhase.Mail,
        SmtpPhase.Rcpt => ReplyPhase.Rcpt,
        _ => ReplyPhase.Data,
    };
}
