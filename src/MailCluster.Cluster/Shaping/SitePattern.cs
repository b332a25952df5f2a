namespace MailCluster.Cluster.Shaping;

/// <summary>
/// How rules name destinations: an exact domain (<c>example.com</c>), a wildcard for its subdomains
/// (<c>*.example.com</c>), or a suffix of the primary MX host (<c>mx:.google.com</c>), which every
/// domain that provider hosts shares.
/// </summary>
internal static class SitePattern
{
    public const string MxPrefix = "mx:";

    public static bool IsMx(string pattern) => pattern.StartsWith(MxPrefix, StringComparison.OrdinalIgnoreCase);

    public static bool MatchesExactly(string pattern, string domain) => pattern.Equals(domain, StringComparison.OrdinalIgnoreCase);

    public static bool MatchesWildcard(string pattern, string domain) =>
        pattern.StartsWith("*.", StringComparison.Ordinal) && domain.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase);

    public static bool MatchesMx(string pattern, string? mx) =>
        mx is not null && IsMx(pattern) && mx.TrimEnd('.').EndsWith(pattern[MxPrefix.Length..].TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    /// <summary>Any of the three forms matches <paramref name="domain"/> or its MX host <paramref name="mx"/>.</summary>
    public static bool Matches(string pattern, string domain, string? mx) =>
        MatchesMx(pattern, mx) || MatchesExactly(pattern, domain) || MatchesWildcard(pattern, domain);
}
