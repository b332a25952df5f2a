namespace MailCluster.Spool;

/// <summary>Where a recipient stands. Delivered recipients are removed rather than kept in this state.</summary>
public enum RecipientState
{
    /// <summary>Waiting for its next attempt at <see cref="SpoolRecipient.NextAttemptAt"/>.</summary>
    Queued = 0,

    /// <summary>Permanently failed or expired; a DSN is owed or was sent.</summary>
    Bounced = 2,
}

/// <summary>A recipient as handed to the spool: the address and its RFC 3461 DSN parameters, kept as sent.</summary>
public sealed record SpoolRecipientAddress(string Address, string Domain, string? Notify, string? OriginalRecipient);

/// <summary>The envelope of a message to store. <see cref="Sender"/> is empty for the null reverse-path.</summary>
public sealed record SpoolEnvelope(
    string QueueId,
    string Sender,
    IReadOnlyList<SpoolRecipientAddress> Recipients,
    DateTimeOffset ReceivedAt,
    string? EnvelopeId,
    string? Return,
    bool SmtpUtf8,
    bool EightBitMime);

/// <summary>A recipient as stored, with its delivery bookkeeping.</summary>
public sealed record SpoolRecipient(
    string Address,
    string Domain,
    RecipientState State,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastReply,
    string? Notify,
    string? OriginalRecipient);

/// <summary>A stored message's envelope and recipients (the content is read apart).</summary>
public sealed record SpoolMessage(
    string QueueId,
    string Sender,
    DateTimeOffset ReceivedAt,
    long Size,
    string? EnvelopeId,
    string? Return,
    bool SmtpUtf8,
    bool EightBitMime,
    IReadOnlyList<SpoolRecipient> Recipients);

/// <summary>What the spool holds.</summary>
public sealed record SpoolCounts(long Messages, long QueuedRecipients, long BouncedRecipients);
