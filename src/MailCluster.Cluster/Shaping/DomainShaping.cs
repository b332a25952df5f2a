namespace MailCluster.Cluster.Shaping;

/// <summary>
/// The effective limits for one domain. <see cref="SiteKey"/> names who shares them: the domain
/// itself, or an MX-suffix rule whose domains share one set of throttles. They hold per egress
/// source and site; <see cref="SiteTotal"/>, when set, caps the site across all sources.
/// </summary>
internal sealed record DomainShaping(
    string SiteKey,
    int MaxConnections,
    int MaxMessagesPerConnection,
    int MaxRecipientsPerTransaction,
    ThrottleSpec? MessageRate,
    ThrottleSpec? ConnectionRate,
    TlsPolicy Tls,
    TimeSpan BackoffPeriod,
    SiteTotal? SiteTotal = null)
{
    /// <summary>Suffix of the key of the grain that keeps a site's total across sources.</summary>
    public const string TotalSuffix = "@*";

    /// <summary>The key of the grain that keeps <see cref="SiteTotal"/>.</summary>
    public string SiteTotalKey => SiteKey + TotalSuffix;

    /// <summary>The limits the site's total grain applies: the total's connections and message rate, no other throttle.</summary>
    public DomainShaping AsSiteTotal() => this with
    {
        MaxConnections = SiteTotal?.MaxConnections ?? int.MaxValue,
        MessageRate = SiteTotal?.MessageRate,
        ConnectionRate = null,
        SiteTotal = null,
    };
}

/// <summary>A site's caps across all egress sources (<c>Shaping:Rules:N:SiteMaxConnections</c>, <c>:SiteMessageRate</c>).</summary>
internal sealed record SiteTotal(int? MaxConnections, ThrottleSpec? MessageRate);
