namespace MailCluster.Admin;

/// <summary>One destination domain: its queue on this silo and its delivery state (<c>GET /api/domains[/{domain}]</c>).</summary>
public sealed record DomainView(string Domain, long Due, long Deferred, long InFlight, DateTimeOffset? OldestArrival, int Connections, bool BackingOff, bool Suspended);

/// <summary>A queued message's envelope and recipients (<c>GET /api/messages/{queueId}</c>).</summary>
public sealed record MessageView(string QueueId, string Sender, DateTimeOffset ReceivedAt, long Size, IReadOnlyList<RecipientView> Recipients);

/// <summary>One recipient of a queued message; <see cref="State"/> is <c>Queued</c> or <c>InFlight</c>.</summary>
public sealed record RecipientView(string Address, string State, int Attempts, DateTimeOffset NextAttemptAt, string? LastReply);

/// <summary>The answer to suspend and resume.</summary>
public sealed record SuspensionChanged(string Domain, bool Suspended);

/// <summary>The answer to retry, bounce and delete: how many recipients they touched.</summary>
public sealed record RecipientsChanged(int Recipients);

/// <summary>The answer to reloading the shaping rules: how many rules are in force now.</summary>
public sealed record ShapingReloaded(int Rules);

/// <summary>Every error body: one sentence a person can act on.</summary>
public sealed record AdminError(string Error);
