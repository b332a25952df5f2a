namespace MailCluster.Delivery.MtaSts;

/// <summary>MTA-STS (RFC 8461), bound from <c>Delivery:MtaSts</c>.</summary>
internal sealed class MtaStsOptions
{
    /// <summary>Whether recipient domains' MTA-STS policies are honoured. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Deadline of one policy fetch (connect, TLS, response). Default 30 s.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After a failed fetch, the domain is not asked again for this long (RFC 8461 3.3 lets senders
    /// limit fetches); a cached policy still applies meanwhile. Default 5 minutes.
    /// </summary>
    public TimeSpan RefetchAfterFailure { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Policies (up to 64 KiB each, kept up to a year) and failed fetches remembered at most, each;
    /// past it the expired go first, then those that would expire soonest. Keyed by recipient domain,
    /// so without a bound a sender could grow them for ever. Default 10000.
    /// </summary>
    public int MaxCachedPolicies { get; set; } = 10_000;

    public IEnumerable<string> Validate(string section)
    {
        if (MaxCachedPolicies < 100)
        {
            yield return $"{section}:MaxCachedPolicies is {MaxCachedPolicies}; must be at least 100";
        }
        if (FetchTimeout < TimeSpan.FromSeconds(1) || FetchTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{section}:FetchTimeout is {FetchTimeout}; must be between 1 second and 5 minutes";
        }
        if (RefetchAfterFailure < TimeSpan.Zero)
        {
            yield return $"{section}:RefetchAfterFailure is {RefetchAfterFailure}; must not be negative";
        }
    }
}
