namespace MailCluster.Delivery.MtaSts;

/// <summary>RFC 8461 5: what a sender does with a domain's policy.</summary>
internal enum MtaStsMode
{
    /// <summary>Deliver only to MX hosts the policy names, over TLS verified for the host name.</summary>
    Enforce,

    /// <summary>Deliver as without a policy, and report (here: count) what enforce would have refused.</summary>
    Testing,

    /// <summary>The domain withdrew its policy: deliver as without one.</summary>
    None,
}
