namespace MailCluster.Delivery.Outcomes;

public enum DeliveryVerdict
{
    Delivered,
    Deferred,
    Bounced,
}

/// <summary>
/// The verdict on one recipient's attempt, with the RFC 3463 status and a reason the delivery
/// log and the DSN quote verbatim. <see cref="SlowDown"/> asks the domain to back off.
/// </summary>
public sealed record DeliveryOutcome(DeliveryVerdict Verdict, string Status, string Reason, bool SlowDown = false)
{
    public bool IsFinal => Verdict != DeliveryVerdict.Deferred;
}
