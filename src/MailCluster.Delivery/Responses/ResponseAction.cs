namespace MailCluster.Delivery.Responses;

/// <summary>What a response rule does with a reply it matches.</summary>
internal enum ResponseAction
{
    /// <summary>This recipient is retried later; the site and source are not affected (greylisting).</summary>
    Defer,

    /// <summary>The (source, site) pauses for the rule's duration and its connections and rate scale by its factor, recovering stepwise.</summary>
    Backoff,

    /// <summary>The (source, site) sends nothing for the rule's duration.</summary>
    Suspend,

    /// <summary>The recipient fails permanently, even on a 4xx (providers that use one for a permanent condition).</summary>
    Bounce,

    /// <summary>The recipient fails permanently and its address joins the suppression list.</summary>
    Suppress,
}
