namespace MailCluster.Cluster.Sites;

/// <summary>
/// One silo's periodic exchange with its site's grain: what it holds and wants, and what happened
/// since the last one. One call per silo per site per period carries it all, never one per message.
/// </summary>
/// <param name="Silo">The reporting silo's name.</param>
/// <param name="Domain">A domain of the site with mail waiting (with <paramref name="PrimaryMx"/>, how the grain finds the site's rules).</param>
/// <param name="HeldEpoch">The epoch of the grant the silo works under; <see cref="Guid.Empty"/> when it has none.</param>
/// <param name="HeldConnections">Connections open now: their leases end only when their sockets have closed.</param>
/// <param name="WantedConnections">Connections the silo could use now, those it holds included.</param>
/// <param name="WantsMessages">The silo has messages ready to hand out.</param>
/// <param name="UnspentMessages">Message tokens left of the last grant; the silo gives them back with this report.</param>
/// <param name="UnspentConnections">New-connection tokens left of the last grant, given back likewise.</param>
/// <param name="CleanTransactions">Transactions since the last report in which every recipient was delivered.</param>
/// <param name="SlowedDown">A 421, a site that took no connection, or a response rule's backoff or suspension since the last report.</param>
/// <param name="HeldGrant">The <see cref="SiteGrant.Sequence"/> of the grant the silo works under (0: none): grants it replaced stop counting.</param>
/// <param name="SlowDown">The longest of those slow-downs, with its duration, factor and rule (null from silos that predate rules: the site's own backoff).</param>
/// <param name="WarmUp">The source's warm-up caps at this site today, on the silo's schedule; null when it is not warming up.</param>
/// <param name="UnspentQuota">Messages left of the last warm-up quota; the silo gives them back with this report.</param>
[GenerateSerializer, Immutable, Alias("mailcluster.SiteReport")]
public sealed record SiteReport(
    string Silo,
    string Domain,
    string? PrimaryMx,
    Guid HeldEpoch,
    int HeldConnections,
    int WantedConnections,
    bool WantsMessages,
    double UnspentMessages,
    double UnspentConnections,
    int CleanTransactions,
    bool SlowedDown,
    long HeldGrant = 0,
    SiteSlowDown? SlowDown = null,
    WarmUpCap? WarmUp = null,
    int UnspentQuota = 0);

/// <summary>A warming source's caps at a site for the current UTC day: messages per day, and per hour (null: none).</summary>
[GenerateSerializer, Immutable, Alias("mailcluster.WarmUpCap")]
public sealed record WarmUpCap(int PerDay, int? PerHour);

/// <summary>
/// Messages a silo may send from a warming source at a site until its next exchange, counted against
/// the caps at once; <see cref="CappedFor"/> is non-zero when the caps have nothing left, until the
/// day (or hour) that ran out ends: the silo then sends this source's mail through others meanwhile.
/// </summary>
[GenerateSerializer, Immutable, Alias("mailcluster.WarmUpQuota")]
public sealed record WarmUpQuota(int Messages, TimeSpan CappedFor);

/// <summary>
/// What a slow-down asks of a (source, site): a pause of <see cref="Duration"/> (null: the site's
/// <c>BackoffPeriod</c>) with its connection budget scaled by <see cref="Factor"/>, or, when
/// <see cref="Suspend"/>, a stop for the duration that keeps the budget; named by <see cref="Rule"/>
/// when a response rule asked.
/// </summary>
[GenerateSerializer, Immutable, Alias("mailcluster.SiteSlowDown")]
public sealed record SiteSlowDown(TimeSpan? Duration, double Factor, string? Rule, bool Suspend)
{
    /// <summary>A 421 or a site that took no connection: back off for the site's period and halve its budget.</summary>
    public static readonly SiteSlowDown Backoff = new(null, 0.5, null, Suspend: false);
}

/// <summary>
/// A share of a rate for a time slice: <see cref="Tokens"/> to spend now, then <see cref="PerSecond"/>
/// more, never holding more than <see cref="Burst"/>. Null in a grant: the site sets no such limit.
/// </summary>
[GenerateSerializer, Immutable, Alias("mailcluster.RateShare")]
public sealed record RateShare(double PerSecond, double Burst, double Tokens);

/// <summary>
/// What the site's grain allows one silo until the next exchange. Durations count from when the
/// silo sent its report, on the silo's own clock, so a silo stops before the grain's own expiry.
/// </summary>
/// <param name="Epoch">The grain activation that granted it; a new activation renews what silos hold and grants nothing new until the stored horizon.</param>
/// <param name="Connections">How many connections the silo may hold; above it, it closes connections as their transactions end.</param>
/// <param name="LeaseFor">How long the connection lease lasts without renewal.</param>
/// <param name="Messages">The silo's share of the message rate, or null when the site has none.</param>
/// <param name="NewConnections">The silo's share of the new-connection rate, or null when the site has none.</param>
/// <param name="RateFor">How long the rate shares last without renewal.</param>
/// <param name="PausedFor">Left of the site's backoff pause: no new transactions until it ends.</param>
/// <param name="SiteSuspended">An operator suspended the whole site.</param>
/// <param name="SuspendedDomains">Domains of the site an operator suspended.</param>
/// <param name="Sequence">This grant among the activation's grants; the silo reports it back as <see cref="SiteReport.HeldGrant"/>.</param>
/// <param name="LapseGrace">After the lease lapses unrenewed, how long transactions in flight may finish before the silo cuts them: the grain counts the silo's connections until then.</param>
/// <param name="WarmUp">The silo's warm-up quota, when its report named caps; null otherwise.</param>
[GenerateSerializer, Immutable, Alias("mailcluster.SiteGrant")]
public sealed record SiteGrant(
    Guid Epoch,
    int Connections,
    TimeSpan LeaseFor,
    RateShare? Messages,
    RateShare? NewConnections,
    TimeSpan RateFor,
    TimeSpan PausedFor,
    bool SiteSuspended,
    IReadOnlyList<string> SuspendedDomains,
    long Sequence = 0,
    TimeSpan LapseGrace = default,
    WarmUpQuota? WarmUp = null);

/// <summary>
/// What a site's grain keeps in grain storage: operator suspension, backoff, and the horizon past
/// which no lease of an earlier activation can reach (so a new activation knows how long to renew only).
/// </summary>
[GenerateSerializer, Alias("mailcluster.SiteState")]
public sealed class SiteState
{
    [Id(0)]
    public bool SiteSuspended { get; set; }

    [Id(1)]
    public List<string> SuspendedDomains { get; set; } = [];

    [Id(2)]
    public DateTimeOffset PausedUntil { get; set; } = DateTimeOffset.MinValue;

    /// <summary>The reduced connection cap after backoff; null when the configured limit applies.</summary>
    [Id(3)]
    public int? Cap { get; set; }

    [Id(4)]
    public DateTimeOffset LeasesEndBy { get; set; } = DateTimeOffset.MinValue;

    /// <summary>The response rule whose backoff or suspension set <see cref="PausedUntil"/>; null for a plain backoff.</summary>
    [Id(5)]
    public string? PausedBy { get; set; }

    /// <summary>The UTC hour the warm-up counts belong to (<see cref="WarmUpAllowance"/>).</summary>
    [Id(6)]
    public DateTimeOffset WarmUpHour { get; set; } = DateTimeOffset.MinValue;

    /// <summary>Warm-up quota handed out (less what came back) in the UTC day of <see cref="WarmUpHour"/>.</summary>
    [Id(7)]
    public int WarmUpToday { get; set; }

    /// <summary>Likewise in the hour of <see cref="WarmUpHour"/>.</summary>
    [Id(8)]
    public int WarmUpThisHour { get; set; }
}

/// <summary>A site as the cluster sees it, for operators: who hosts its grain, connections leased and in use, backoff (and the response rule that paused it), suspension, and a warming source's messages counted today and this hour (UTC).</summary>
[GenerateSerializer, Immutable, Alias("mailcluster.SiteView")]
public sealed record SiteView(
    string HostingSilo,
    Guid Epoch,
    int ConnectionsLeased,
    int ConnectionsHeld,
    int? Cap,
    TimeSpan PausedFor,
    bool SiteSuspended,
    IReadOnlyList<string> SuspendedDomains,
    long Sequence = 0,
    TimeSpan LapseGrace = default,
    string? PausedBy = null,
    int WarmUpToday = 0,
    int WarmUpThisHour = 0,
    WarmUpCap? WarmUpCap = null);
