namespace MailCluster.Cluster.Shaping;

/// <summary>
/// The effective limits for one domain. <see cref="SiteKey"/> names who shares them: the domain
/// itself, or an MX-suffix rule whose domains share one set of throttles.
/// </summary>
internal sealed record DomainShaping(
    string SiteKey,
    int MaxConnections,
    int MaxMessagesPerConnection,
    int MaxRecipientsPerTransaction,
    ThrottleSpec? MessageRate,
    ThrottleSpec? ConnectionRate,
    TlsPolicy Tls,
    TimeSpan BackoffPeriod);
