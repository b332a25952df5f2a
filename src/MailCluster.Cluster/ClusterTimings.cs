namespace MailCluster.Cluster;

/// <summary>
/// The cluster's exchange periods, lease lengths and call timeouts, bound from
/// <c>Cluster:Timings</c>, so that an operator or a test can set them; the defaults are what the
/// cluster scenarios and benches were measured with. Validated together: a lease must outlive a
/// missed exchange, and shared counts must outlive a missed report.
/// </summary>
public sealed class ClusterTimings
{
    public const string Section = "Cluster:Timings";

    /// <summary>The defaults, for code that runs without configuration (tests, benches).</summary>
    public static ClusterTimings Defaults { get; } = new();

    /// <summary>How long a site's connection lease lasts without renewal. Default 10 s.</summary>
    public TimeSpan SiteLeasePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After a silo's connection lease lapses unrenewed, how long its transactions in flight may
    /// still finish before it cuts them (their recipients are deferred); the grain counts a silent
    /// silo's connections as long, so their room goes to others only once they are closed. Longer
    /// than failure detection takes to move a grain, so a grain's move cuts nothing. Default 20 s.
    /// </summary>
    public TimeSpan SiteLapseGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a share of a site's message or connection rate lasts without renewal. Default 5 s.</summary>
    public TimeSpan SiteRateSlice { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often each silo exchanges with the grain of each site it has work for (sooner when demand grows). Default 2 s.</summary>
    public TimeSpan SiteExchangePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one exchange with a site's grain may take before it counts as failed. Default 2 s.</summary>
    public TimeSpan SiteCallTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often each silo reports its shaping rules' hash and looks for reload requests. Default 3 s.</summary>
    public TimeSpan ShapingExchangePeriod { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long one call to the shaping grain may take. Default 5 s.</summary>
    public TimeSpan ShapingCallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often each silo with submission reports its hourly counts and AUTH failures. Default 2 s.</summary>
    public TimeSpan SubmissionExchangePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>After this long without an answer the other silos' counts no longer apply (limits are per silo). Default 10 s.</summary>
    public TimeSpan SubmissionStaleAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one call to the submission limits grain may take. Default 5 s.</summary>
    public TimeSpan SubmissionCallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a retry-tier consumer reads operators' tombstones again. Default 5 s.</summary>
    public TimeSpan TierTombstoneRefresh { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a retry-tier consumer looks for new partitions. Default 10 s.</summary>
    public TimeSpan TierPartitionsRefresh { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Entries one receive takes from a partition (Azure Storage queues give at most 32). Default 32.</summary>
    public int TierReceiveBatch { get; set; } = 32;

    public IEnumerable<string> Validate(string section = Section)
    {
        foreach (var (name, value) in new[]
        {
            (nameof(SiteLeasePeriod), SiteLeasePeriod), (nameof(SiteLapseGrace), SiteLapseGrace), (nameof(SiteRateSlice), SiteRateSlice), (nameof(SiteExchangePeriod), SiteExchangePeriod),
            (nameof(SiteCallTimeout), SiteCallTimeout), (nameof(ShapingExchangePeriod), ShapingExchangePeriod), (nameof(ShapingCallTimeout), ShapingCallTimeout),
            (nameof(SubmissionExchangePeriod), SubmissionExchangePeriod), (nameof(SubmissionStaleAfter), SubmissionStaleAfter),
            (nameof(SubmissionCallTimeout), SubmissionCallTimeout), (nameof(TierTombstoneRefresh), TierTombstoneRefresh), (nameof(TierPartitionsRefresh), TierPartitionsRefresh),
        })
        {
            if (value < TimeSpan.FromMilliseconds(100))
            {
                yield return $"{section}:{name} is {value}; must be at least 100 ms";
            }
        }
        // A silo renews before its lease ends even when one exchange failed.
        if (SiteLeasePeriod < (2 * SiteExchangePeriod) + SiteCallTimeout)
        {
            yield return $"{section}:SiteLeasePeriod is {SiteLeasePeriod}; must be at least twice SiteExchangePeriod plus SiteCallTimeout ({(2 * SiteExchangePeriod) + SiteCallTimeout})";
        }
        if (SiteRateSlice < SiteExchangePeriod)
        {
            yield return $"{section}:SiteRateSlice is {SiteRateSlice}; must be at least SiteExchangePeriod ({SiteExchangePeriod})";
        }
        if (SubmissionStaleAfter < SubmissionExchangePeriod + SubmissionCallTimeout)
        {
            yield return $"{section}:SubmissionStaleAfter is {SubmissionStaleAfter}; must be at least SubmissionExchangePeriod plus SubmissionCallTimeout ({SubmissionExchangePeriod + SubmissionCallTimeout})";
        }
        if (TierReceiveBatch is < 1 or > 32)
        {
            yield return $"{section}:TierReceiveBatch is {TierReceiveBatch}; must be between 1 and 32";
        }
    }
}
