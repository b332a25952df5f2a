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
/// and the DSN quote verbatim. <see cref="SlowDown"/> asks the site to back off;
/// <see cref="ReplyCode"/> is the peer's reply when one decided the verdict, and <see cref="Phase"/>
/// the command it answered.
/// </summary>
internal sealed record DeliveryOutcome(DeliveryVerdict Verdict, EnhancedStatusCode Status, string Reason, bool SlowDown = false, int? ReplyCode = null, Smtp.Client.SmtpPhase? Phase = null)
{
    public bool IsFinal => Verdict != DeliveryVerdict.Deferred;
}
