using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Responses;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Delivery.Outcomes;

internal enum DeliveryVerdict
{
    Delivered,
    Deferred,
    Bounced,
}

/// <summary>
/// The verdict on one recipient's attempt, with its RFC 3463 status and a reason the delivery log
/// and the DSN quote verbatim. <see cref="Effect"/> asks the (source, site) to back off or stop;
/// <see cref="ReplyCode"/> is the peer's reply when one decided the verdict, and <see cref="Phase"/>
/// the command it answered. <see cref="Rule"/> names the response rule that matched the reply,
/// whose category then overrides the one the status gives; <see cref="Suppress"/> puts the
/// recipient on the suppression list with its bounce. <see cref="Expired"/> and <see cref="ByOperator"/>
/// say why a bounce came without a reply that decided it (the queue lifetime, an operator).
/// </summary>
internal sealed record DeliveryOutcome(
    DeliveryVerdict Verdict, EnhancedStatusCode Status, string Reason, SiteSlowDown? Effect = null, int? ReplyCode = null, Smtp.Client.SmtpPhase? Phase = null,
    string? Rule = null, ReplyCategory? RuleCategory = null, bool Suppress = false, bool Expired = false, bool ByOperator = false)
{
    public bool IsFinal => Verdict != DeliveryVerdict.Deferred;

    /// <summary>The (source, site) should pause: a backoff or a suspension.</summary>
    public bool SlowDown => Effect is not null;

    /// <summary>What the outcome says about the recipient, for senders' systems: the rule's category, else the status's.</summary>
    public ReplyCategory Category => RuleCategory ?? ReplyCategories.FromStatus(Status);
}
