using MailCluster.Cluster.Sites;
using MailCluster.Dns.Mx;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Delivery.Outcomes;

/// <summary>
/// The one place that decides delivered, deferred or bounced — for SMTP replies, DNS results and
/// connection failures — and says why. Its table is <c>DeliveryOutcomeClassifierTests</c>.
/// </summary>
internal static class DeliveryOutcomeClassifier
{
    /// <summary>RFC 3463 3.8: X.7.5 cryptographic failure; the status of an unmet TLS policy.</summary>
    public static readonly EnhancedStatusCode TlsNotPossible = new(4, 7, 5);

    /// <param name="reply">The peer's reply.</param>
    /// <param name="phase">The command it answered.</param>
    /// <param name="afterTlsFallback">The session is plaintext because an opportunistic handshake failed.</param>
    public static DeliveryOutcome FromReply(SmtpReply reply, SmtpPhase phase, bool afterTlsFallback = false) =>
        afterTlsFallback && WantsTls(reply)
            ? new(DeliveryVerdict.Deferred, TlsNotPossible, $"the MX wants TLS, whose handshake failed before: {reply}", ReplyCode: reply.Code, Phase: phase)
            : Classify(reply, phase) with { Phase = phase };

    /// <summary>RFC 3207 4: 530 "must issue STARTTLS first"; RFC 3463/RFC 5248: x.7.0, x.7.10 (encryption needed), x.7.11 (encryption required).</summary>
    private static bool WantsTls(SmtpReply reply) =>
        reply.Code == 530 || reply.Enhanced is { Class: 5, Subject: 7, Detail: 10 or 11 };

    private static DeliveryOutcome Classify(SmtpReply reply, SmtpPhase phase)
    {
        var status = reply.Enhanced ?? new EnhancedStatusCode(reply.Code / 100, 0, 0);
        var reason = reply.ToString();
        return reply.Code switch
        {
            >= 200 and < 300 => new(DeliveryVerdict.Delivered, status, reason, ReplyCode: reply.Code),
            // RFC 5321 3.8 / 4.2.3: 421 means the server is going away; slow down too.
            421 => new(DeliveryVerdict.Deferred, status, reason, SiteSlowDown.Backoff, ReplyCode: reply.Code),
            // Only this recipient waits. x.7.x alone says nothing of the site: receivers use it for
            // greylisting and authentication as much as for rate limits; response rules tell them apart.
            >= 400 and < 500 => new(DeliveryVerdict.Deferred, status, reason, ReplyCode: reply.Code),
            // 503 is a sequence error: a confused peer (or us), not a verdict on the recipient.
            503 => new(DeliveryVerdict.Deferred, status.AsTransient(), reason, ReplyCode: reply.Code),
            // RFC 5321 4.5.3.1.10: 552 to RCPT was historically "too many recipients"; treat that as 452 4.5.3.
            // A 552 that says otherwise (5.2.2 mailbox full, "exceeded storage allocation") is the recipient's.
            552 when phase == SmtpPhase.Rcpt && TooManyRecipients(reply) => new(DeliveryVerdict.Deferred, new(4, 5, 3), reason, ReplyCode: reply.Code),
            >= 500 and < 600 => new(DeliveryVerdict.Bounced, status, reason, ReplyCode: reply.Code),
            // 1xx/3xx where a final reply was due: the peer broke the protocol (RFC 3463 X.5.0); try again later.
            _ => new(DeliveryVerdict.Deferred, new(4, 5, 0), $"unexpected reply to {phase}: {reason}", ReplyCode: reply.Code),
        };
    }

    private static bool TooManyRecipients(SmtpReply reply) =>
        reply.Enhanced is { Subject: 5, Detail: 3 } || (reply.Enhanced is null && reply.Text.Contains("recipients", StringComparison.OrdinalIgnoreCase));

    public static DeliveryOutcome FromResolution(MxResolution resolution) => resolution.Kind switch
    {
        // RFC 3463 3.5: X.4.3 directory server failure.
        MxResolutionKind.TemporaryFailure => new(DeliveryVerdict.Deferred, new(4, 4, 3), resolution.Reason),
        // RFC 7505 4.1: mail to a null MX domain fails permanently with 5.1.10.
        MxResolutionKind.NullMx => new(DeliveryVerdict.Bounced, new(5, 1, 10), resolution.Reason),
        // RFC 3463 3.2: X.1.2 bad destination system address.
        MxResolutionKind.NoSuchDomain => new(DeliveryVerdict.Bounced, new(5, 1, 2), resolution.Reason),
        // RFC 3463 3.5: X.4.4 unable to route.
        MxResolutionKind.NoMailHosts => new(DeliveryVerdict.Bounced, new(5, 4, 4), resolution.Reason),
        _ => throw new ArgumentException("A resolved domain is not a failure.", nameof(resolution)),
    };

    /// <summary>No MX host could be reached (refused, timed out, filtered by address policy): RFC 3463 4.4.1.</summary>
    public static DeliveryOutcome ConnectionFailed(string detail) =>
        new(DeliveryVerdict.Deferred, new(4, 4, 1), $"no mail host answered: {detail}", SiteSlowDown.Backoff);

    /// <summary>The connection broke before the message was handed over: RFC 3463 4.4.2.</summary>
    public static DeliveryOutcome ConnectionLost(string detail) =>
        new(DeliveryVerdict.Deferred, new(4, 4, 2), $"connection lost: {detail}");

    /// <summary>
    /// The connection broke after the final dot, before the reply: the peer may have the message.
    /// Retrying may duplicate it, dropping it may lose it; we retry (at least once) and count it.
    /// </summary>
    public static DeliveryOutcome UnknownOutcome(string detail) =>
        new(DeliveryVerdict.Deferred, new(4, 4, 2), $"connection lost after end of data, outcome unknown (possible duplicate on retry): {detail}");

    /// <summary>The domain's TLS policy could not be met (no STARTTLS, or an invalid certificate).</summary>
    public static DeliveryOutcome TlsPolicyNotMet(string detail) =>
        new(DeliveryVerdict.Deferred, TlsNotPossible, $"TLS required by policy but not possible: {detail}");

    /// <summary>Queued longer than the lifetime: bounces with RFC 3463 4.4.7, quoting the last temporary error.</summary>
    public static DeliveryOutcome Expired(DeliveryOutcome last, TimeSpan lifetime) =>
        new(DeliveryVerdict.Bounced, new(4, 4, 7), $"delivery time expired after {lifetime.TotalDays:0.#} days; last error: {last.Reason}", Expired: true);

    /// <summary>
    /// A retry-tier entry that keeps coming back without an attempt being recorded (the silos that
    /// took it crashed or lost it each time): RFC 3463 5.3.0, a mail system failure, not the recipient's.
    /// </summary>
    public static DeliveryOutcome Poisoned(string detail) =>
        new(DeliveryVerdict.Bounced, new(5, 3, 0), $"the mail system could not process this message: {detail}");

    /// <summary>
    /// The message's egress pool was removed from the configuration after it was accepted: deferred
    /// (RFC 3463 4.3.5, the system is not configured for it) until an operator puts the pool back or
    /// bounces the mail, never sent from another pool than the sender chose.
    /// </summary>
    public static DeliveryOutcome PoolNotConfigured(string pool) =>
        new(DeliveryVerdict.Deferred, new(4, 3, 5), $"egress pool '{pool}' is not configured on this silo");

    /// <summary>An operator bounced the recipient (RFC 3463 5.0.0: no more specific code applies).</summary>
    public static DeliveryOutcome BouncedByOperator() =>
        new(DeliveryVerdict.Bounced, new(5, 0, 0), "bounced by the mail system's operator", ByOperator: true);
}
