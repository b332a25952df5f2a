namespace MailCluster.Cluster.Shaping;

/// <summary>Resolves a domain's effective shaping: exact rule, else the longest wildcard, else an MX-suffix rule, over the defaults.</summary>
internal sealed class ShapingRules
{
    private volatile ShapingOptions _options;

    public ShapingRules(ShapingOptions options)
    {
        _options = options;
    }

    /// <summary>Replaces the rules (an operator's reload); callers validate first.</summary>
    public void Replace(ShapingOptions options) => _options = options;

    /// <summary>A short hash of the rules in force: silos loading the same file show the same one.</summary>
    public string Hash =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(_options)))[..12];

    public bool HasMxRules => _options.Rules.Exists(r => SitePattern.IsMx(r.Match));

    public DomainShaping Resolve(string domain, string? primaryMx)
    {
        var options = _options;
        var exact = options.Rules.Find(r => SitePattern.MatchesExactly(r.Match, domain));
        var wildcard = options.Rules.Where(r => SitePattern.MatchesWildcard(r.Match, domain)).MaxBy(r => r.Match.Length);
        var site = options.Rules.Where(r => SitePattern.MatchesMx(r.Match, primaryMx)).MaxBy(r => r.Match.Length);
        var rule = exact ?? wildcard ?? site;
        var d = options.Default;
        return new DomainShaping(
            rule == site && site is not null ? site.Match.ToLowerInvariant() : domain,
            rule?.MaxConnections ?? d.MaxConnections ?? 10,
            rule?.MaxMessagesPerConnection ?? d.MaxMessagesPerConnection ?? 100,
            rule?.MaxRecipientsPerTransaction ?? d.MaxRecipientsPerTransaction ?? 100,
            Rate(rule?.MessageRate ?? d.MessageRate),
            Rate(rule?.ConnectionRate ?? d.ConnectionRate),
            rule?.Tls ?? d.Tls ?? TlsPolicy.Opportunistic,
            rule?.BackoffPeriod ?? d.BackoffPeriod ?? TimeSpan.FromMinutes(1),
            Total(rule?.SiteMaxConnections ?? d.SiteMaxConnections, rule?.SiteMessageRate ?? d.SiteMessageRate));
    }

    /// <summary>The limits the site grain keyed <paramref name="grainKey"/> applies: a source's (site@source, or the site's own key), or the site's total across sources (site@*).</summary>
    public DomainShaping ForGrain(string grainKey, string domain, string? primaryMx)
    {
        var limits = Resolve(domain, primaryMx);
        return grainKey.EndsWith(DomainShaping.TotalSuffix, StringComparison.Ordinal) ? limits.AsSiteTotal() : limits;
    }

    private static SiteTotal? Total(int? connections, string? rate) =>
        connections is null && rate is null ? null : new SiteTotal(connections, Rate(rate));

    private static ThrottleSpec? Rate(string? text) => text is null ? null : ThrottleSpec.Parse(text);
}
