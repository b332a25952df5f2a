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

    public IEnumerable<string> Validate(string section)
    {
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
