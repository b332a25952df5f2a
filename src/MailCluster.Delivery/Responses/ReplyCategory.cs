using MailCluster.Smtp.Protocol;

namespace MailCluster.Delivery.Responses;

/// <summary>
/// What a final reply (or a failure without one) says about a recipient, for senders' systems:
/// the categories bulk senders sort bounces into (KumoMTA's bounce classes, PowerMTA's bounce
/// categories). A response rule names one; otherwise <see cref="ReplyCategories.FromStatus"/> reads
/// it from the enhanced status code.
/// </summary>
internal enum ReplyCategory
{
    Unclassified,
    InvalidRecipient,
    BadDomain,
    InactiveMailbox,
    QuotaIssues,
    PolicyRelated,
    SpamRelated,

    /// <summary>SPF, DKIM or DMARC (RFC 7372).</summary>
    AuthenticationFailure,
    ContentRelated,
    RateLimited,
    Greylisted,
    MessageExpired,
    ProtocolError,
}

internal static class ReplyCategories
{
    /// <summary>
    /// The category an enhanced status code gives when no rule names one (RFC 3463 subjects and
    /// details; RFC 7372 for the authentication codes x.7.20-x.7.26).
    /// </summary>
    public static ReplyCategory FromStatus(EnhancedStatusCode? status) => status switch
    {
        null => ReplyCategory.Unclassified,
        { Subject: 1, Detail: 1 or 3 or 6 } => ReplyCategory.InvalidRecipient,
        { Subject: 1, Detail: 2 or 10 } => ReplyCategory.BadDomain,
        { Subject: 2, Detail: 1 } => ReplyCategory.InactiveMailbox,
        { Subject: 2, Detail: 2 } => ReplyCategory.QuotaIssues,
        { Subject: 2, Detail: 3 } or { Subject: 3, Detail: 4 } or { Subject: 6 } => ReplyCategory.ContentRelated,
        { Subject: 7, Detail: >= 20 and <= 26 } => ReplyCategory.AuthenticationFailure,
        { Subject: 7 } => ReplyCategory.PolicyRelated,
        { Subject: 4, Detail: 7 } => ReplyCategory.MessageExpired,
        { Subject: 5 } => ReplyCategory.ProtocolError,
        _ => ReplyCategory.Unclassified,
    };
}
