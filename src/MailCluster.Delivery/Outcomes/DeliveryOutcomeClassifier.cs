using MailCluster.Dns.Mx;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Delivery.Outcomes;

/// <summary>
/// The one place that decides delivered, deferred or bounced — for SMTP replies, DNS results and
/// connection failures — and says why. Its table is <c>DeliveryOutcomeClassifierTests</c>.
/// </summary>
public static class DeliveryOutcomeClassifier
{
    public static DeliveryOutcome FromReply(SmtpReply reply, SmtpPhase phase)
    {
        var status = reply.Enhanced?.ToString() ?? $"{reply.Code / 100}.0.0";
        var reason = reply.ToString();
        return reply.Code switch
        {
            >= 200 and < 300 => new DeliveryOutcome(DeliveryVerdict.Delivered, status, reason),
            // RFC 5321 3.8 / 4.2.3: 421 means the server is going away; slow down too.
            421 => new DeliveryOutcome(DeliveryVerdict.Deferred, status, reason, SlowDown: true),
            // RFC 3463 3.8: x.7.x is policy (rate limits, reputation): a sign to slow down.
            >= 400 and < 500 => new DeliveryOutcome(DeliveryVerdict.Deferred, status, reason, SlowDown: reply.Enhanced?.Subject == 7),
            // 503 is a sequence error: a confused peer (or us), not a verdict on the recipient.
            503 => new DeliveryOutcome(DeliveryVerdict.Deferred, Transient(status), reason),
            // RFC 5321 4.5.3.1.10: 552 to RCPT was historically "too many recipients"; treat it as 452.
            552 when phase == SmtpPhase.Rcpt => new DeliveryOutcome(DeliveryVerdict.Deferred, "4.5.3", reason),
            >= 500 and < 600 => new DeliveryOutcome(DeliveryVerdict.Bounced, status, reason),
            // 1xx/3xx where a final reply was due: the peer broke the protocol; try again later.
            _ => new DeliveryOutcome(DeliveryVerdict.Deferred, "4.5.0", $"unexpected reply to {phase}: {reason}"),
        };
    }

    public static DeliveryOutcome FromResolution(MxResolution resolution) => resolution.Kind switch
    {
        MxResolutionKind.Resolved => throw new ArgumentException("A resolved domain is not a failure.", nameof(resolution)),
        MxResolutionKind.TemporaryFailure => new DeliveryOutcome(DeliveryVerdict.Deferred, resolution.EnhancedStatusCode, resolution.Reason),
        _ => new DeliveryOutcome(DeliveryVerdict.Bounced, resolution.EnhancedStatusCode, resolution.Reason),
    };

    /// <summary>No MX host could be reached (refused, timed out, filtered by address policy): RFC 3463 4.4.1.</summary>
    public static DeliveryOutcome ConnectionFailed(string detail) =>
        new(DeliveryVerdict.Deferred, "4.4.1", $"no mail host answered: {detail}", SlowDown: true);

    /// <summary>The connection broke before the message was handed over: RFC 3463 4.4.2.</summary>
    public static DeliveryOutcome ConnectionLost(string detail) =>
        new(DeliveryVerdict.Deferred, "4.4.2", $"connection lost: {detail}");

    /// <summary>
    /// The connection broke after the final dot, before the reply: the peer may have the message.
    /// Retrying may duplicate it, dropping it may lose it; we retry (at least once) and count it.
    /// </summary>
    public static DeliveryOutcome UnknownOutcome(string detail) =>
        new(DeliveryVerdict.Deferred, "4.4.2", $"connection lost after end of data, outcome unknown (possible duplicate on retry): {detail}");

    /// <summary>The domain's TLS policy could not be met (no STARTTLS, or an invalid certificate): RFC 3463 4.7.5 class.</summary>
    public static DeliveryOutcome TlsPolicyNotMet(string detail) =>
        new(DeliveryVerdict.Deferred, "4.7.5", $"TLS required by policy but not possible: {detail}");

    /// <summary>Queued longer than the lifetime: bounces with RFC 3463 4.4.7, quoting the last temporary error.</summary>
    public static DeliveryOutcome Expired(DeliveryOutcome last, TimeSpan lifetime) =>
        new(DeliveryVerdict.Bounced, "4.4.7", $"delivery time expired after {lifetime.TotalDays:0.#} days; last error: {last.Reason}");

    private static string Transient(string status) => "4" + status[1..];
}
