namespace MailCluster.Admin;

/// <summary>
/// One destination domain: its queue on this silo, its entries in the retry tier (cluster mode,
/// approximate; null without a tier) and its delivery state (<c>GET /api/domains[/{domain}]</c>).
/// </summary>
public sealed record DomainView(
    string Domain, long Due, long Deferred, long InFlight, DateTimeOffset? OldestArrival, int Connections, bool BackingOff, bool Suspended, long? InTier = null,
    IReadOnlyList<DomainSourceView>? Sources = null);

/// <summary>One egress source's part of a domain's delivery, cluster-wide (<see cref="DomainView.Sources"/>); the response rule behind a pause, and how long it still lasts.</summary>
public sealed record DomainSourceView(string Source, int Connections, bool BackingOff, bool Suspended, string? PausedBy = null, TimeSpan? PausedFor = null);

/// <summary>
/// An egress source of the answering silo (<c>GET /api/sources</c>): address, SOCKS5 proxy, EHLO
/// name, its pools with its weight in each, and cluster-wide: what it did per site in the last
/// minute (busiest first), the domains suspended on it, and its warm-up.
/// </summary>
public sealed record SourceView(
    string Name, string? Address, string? Socks5, string EhloName, IReadOnlyList<SourcePoolView> Pools,
    IReadOnlyList<SourceSiteView>? LastMinute = null, IReadOnlyList<string>? Suspended = null, SourceWarmUpView? WarmUp = null);

/// <summary>A warming source's day number (1 on <see cref="Start"/>, a UTC date) and, per site it sent to today, its caps and counts.</summary>
public sealed record SourceWarmUpView(int Day, DateOnly Start, IReadOnlyList<SourceWarmUpSiteView> Sites);

/// <summary>A warming source at one site: today's caps (null: none, the source is warm there) and the messages counted today and this hour (UTC), cluster-wide.</summary>
public sealed record SourceWarmUpSiteView(string Site, int? PerDay, int? PerHour, int Today, int ThisHour);

/// <summary>Connections a source opened and messages it delivered at one site in the last minute, across the cluster.</summary>
public sealed record SourceSiteView(string Site, int Connections, int Messages);

/// <summary>A pool a source is in, and its weight there.</summary>
public sealed record SourcePoolView(string Pool, int Weight);

/// <summary>
/// A queued message's envelope and recipients (<c>GET /api/messages/{queueId}</c>); the RFC 3461
/// parameters as given at submission (<see cref="Return"/> is <c>FULL</c>, <c>HDRS</c> or null).
/// </summary>
public sealed record MessageView(
    string QueueId,
    string Sender,
    DateTimeOffset ReceivedAt,
    long Size,
    string? EnvelopeId,
    string? Return,
    bool SmtpUtf8,
    bool EightBitMime,
    IReadOnlyList<RecipientView> Recipients);

/// <summary>One recipient of a queued message; <see cref="State"/> is <c>Queued</c> or <c>InFlight</c>; RFC 3461 NOTIFY and ORCPT as given.</summary>
public sealed record RecipientView(string Address, string Domain, string State, int Attempts, DateTimeOffset NextAttemptAt, string? LastReply, string? Notify, string? OriginalRecipient);

/// <summary>The answer to suspend and resume: for every source, or the one named.</summary>
public sealed record SuspensionChanged(string Domain, bool Suspended, string? Source = null);

/// <summary>
/// The answer to retry, bounce and delete: how many recipients they touched on this silo, and
/// whether the retry tier's matching entries follow (bounce and delete in cluster mode: when each is next received).
/// </summary>
public sealed record RecipientsChanged(int Recipients, bool InTier = false);

/// <summary>The answer to drain (<c>POST /api/silos/{silo}/drain</c>): recipients handed to the retry tier, and those left in the spool.</summary>
public sealed record Drained(string Silo, int Moved, int Left);

/// <summary>
/// The answer to reloading the shaping rules: how many rules are in force on the answering silo and
/// their hash; every other silo reloads its copy within <see cref="FollowSeconds"/>.
/// </summary>
public sealed record ShapingReloaded(int Rules, string Hash, int FollowSeconds);

/// <summary>
/// One member of the cluster (<c>GET /api/silos</c>), as the answering silo's membership view has
/// it; <see cref="Status"/> is <c>active</c>, <c>joining</c>, <c>leaving</c> or <c>dead</c>.
/// <see cref="ShapingHash"/> is the hash of the silo's shaping rules in force, as it last reported it
/// (null when it has not); <see cref="ShapingError"/> says why its last reload failed.
/// </summary>
public sealed record SiloView(string Name, string Address, string Status, bool ThisSilo, string? ShapingHash, string? ShapingError);

/// <summary>One suppressed address (<c>/api/suppressions</c>): why, and since when.</summary>
public sealed record SuppressionView(string Address, string Reason, DateTimeOffset Since);

/// <summary>
/// The answer to every suppression call: what was done (<c>list</c>, <c>added</c>, <c>removed</c>,
/// <c>imported</c>), how many addresses it changed, and the addresses concerned (the whole list for <c>list</c>).
/// </summary>
public sealed record SuppressionAnswer(string Action, int Changed, IReadOnlyList<SuppressionView> Addresses);

/// <summary>The body of <c>POST /api/suppressions/import</c>.</summary>
public sealed record SuppressionImport(IReadOnlyList<string> Addresses);

/// <summary>Every error body: one sentence a person can act on.</summary>
public sealed record AdminError(string Error);

/// <summary>
/// A delivery-event sink of the answering silo (<c>GET /api/events</c>): its state (idle,
/// delivering, retrying, disabled), saved cursor, what it has not taken (events, bytes, the age of
/// the oldest), events delivered since start and per second over the last minute, and its last error.
/// </summary>
public sealed record EventSinkView(
    string Name, string Target, string State, long Cursor, long BacklogEvents, long BacklogBytes, TimeSpan Lag, long Delivered, double PerSecond,
    string? LastError, DateTimeOffset? LastErrorAt);
