using MailCluster.Spool;

namespace MailCluster.Cluster.RetryTier;

/// <summary>The retry tier of <c>AzureStorage</c> mode, bound from <c>RetryTier</c>.</summary>
public sealed class RetryTierOptions
{
    public const string Section = "RetryTier";

    /// <summary>Partition queues new entries go to (a domain hashes to one). Changing it strands nothing: consumers poll every partition that exists. Default 8.</summary>
    public int Partitions { get; set; } = 8;

    /// <summary>How long a received entry stays invisible to other silos; extended while its attempt runs. Default 2 minutes.</summary>
    public TimeSpan VisibilityLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long an entry that cannot be attempted now (suspended site, no room) is put back for: not an attempt. Default 30 s.</summary>
    public TimeSpan HoldInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Receives an entry may have without one being recorded (crashes, lost leases) before it is bounced as poison. Default 5.</summary>
    public int MaxUnrecordedReceives { get; set; } = 5;

    /// <summary>Entries a silo holds received at once (attempting or waiting in its domains' windows). Default 256.</summary>
    public int MaxInFlight { get; set; } = 256;

    /// <summary>Of those, entries of one site (a site in backoff cannot fill the silo's whole share and stall the tier); more are put back at once. Default 64.</summary>
    public int MaxInFlightPerSite { get; set; } = 64;

    /// <summary>The longest wait between receives from an empty partition (polling speeds up as soon as entries come). Default 10 s.</summary>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often local deferred recipients are moved into the tier (and moved again after a tier outage). Default 2 s.</summary>
    public TimeSpan MoveInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>At SIGTERM, after <c>Smtp:DrainTimeout</c>: the longest the silo spends handing its local queue to the tier. Default 1 minute.</summary>
    public TimeSpan HandOffTimeout { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<string> Validate(string section = Section)
    {
        if (Partitions is < 1 or > 256)
        {
            yield return $"{section}:Partitions is {Partitions}; must be between 1 and 256";
        }
        if (VisibilityLease < TimeSpan.FromSeconds(5) || VisibilityLease > TimeSpan.FromHours(1))
        {
            yield return $"{section}:VisibilityLease is {VisibilityLease}; must be between 5 seconds and 1 hour";
        }
        if (HoldInterval < TimeSpan.FromSeconds(1) || HoldInterval > TimeSpan.FromHours(1))
        {
            yield return $"{section}:HoldInterval is {HoldInterval}; must be between 1 second and 1 hour";
        }
        if (MaxUnrecordedReceives < 1)
        {
            yield return $"{section}:MaxUnrecordedReceives is {MaxUnrecordedReceives}; must be at least 1";
        }
        if (MaxInFlight is < 1 or > 10_000)
        {
            yield return $"{section}:MaxInFlight is {MaxInFlight}; must be between 1 and 10000";
        }
        if (MaxInFlightPerSite < 1 || MaxInFlightPerSite > MaxInFlight)
        {
            yield return $"{section}:MaxInFlightPerSite is {MaxInFlightPerSite}; must be between 1 and RetryTier:MaxInFlight ({MaxInFlight})";
        }
        if (IdlePollInterval < TimeSpan.FromMilliseconds(100) || MoveInterval < TimeSpan.FromMilliseconds(100))
        {
            yield return $"{section}: IdlePollInterval and MoveInterval must be at least 100 ms";
        }
        if (HandOffTimeout < TimeSpan.FromSeconds(1))
        {
            yield return $"{section}:HandOffTimeout is {HandOffTimeout}; must be at least 1 second";
        }
    }
}
