namespace MailCluster.Delivery.Outcomes;

/// <summary>How DSNs are made, bound from <c>Delivery:Dsn</c>: one message's failures must not turn into a DSN per domain, each with the whole message.</summary>
internal sealed class BounceOptions
{
    /// <summary>
    /// The largest original returned whole for RET=FULL; a larger one is returned as its header
    /// section only (RFC 3461 4.3 allows it), itself cut at a field boundary to this size. Default
    /// 100 KiB (Postfix's bounce_size_limit is 50000 octets).
    /// </summary>
    public long MaxReturnedContent { get; set; } = 100 * 1024;

    /// <summary>
    /// Failed recipients of one message recorded within this time of its first failure share one
    /// DSN (RFC 3464 2: a report carries any number of recipients), so a message to many bad
    /// domains bounces once per round, not once per domain. Zero: no wait. Default 5 s.
    /// </summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<string> Validate(string section)
    {
        if (MaxReturnedContent < 1024)
        {
            yield return $"{section}:MaxReturnedContent is {MaxReturnedContent}; must be at least 1024";
        }
        if (CoalesceWindow < TimeSpan.Zero || CoalesceWindow > TimeSpan.FromMinutes(1))
        {
            yield return $"{section}:CoalesceWindow is {CoalesceWindow}; must be between 0 and 1 minute";
        }
    }
}
