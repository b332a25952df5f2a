using System.Buffers;

namespace MailCluster.Spool;

/// <summary>
/// The spool contract shared by the embedded (SQLite) and cluster (PostgreSQL) backends. No
/// storage types cross it. Failures are <see cref="SpoolUnavailableException"/> or
/// <see cref="SpoolFullException"/>; the caller maps them to its protocol's replies.
/// </summary>
public interface ISpool : IAsyncDisposable
{
    /// <summary>
    /// Stores a message and all its recipients. Completes only when they are durable (fsync'd);
    /// concurrent calls share commits (group commit).
    /// </summary>
    ValueTask EnqueueAsync(SpoolEnvelope envelope, ReadOnlySequence<byte> content, CancellationToken cancellationToken);

    /// <summary>The stored envelope and recipients of a message, or null when it is not in the spool.</summary>
    ValueTask<SpoolMessage?> GetMessageAsync(string queueId, CancellationToken cancellationToken);

    /// <summary>The stored content of a message, exactly as accepted (trace headers included), or null.</summary>
    ValueTask<byte[]?> ReadContentAsync(string queueId, CancellationToken cancellationToken);

    /// <summary>How many messages and recipients (by state) the spool holds.</summary>
    ValueTask<SpoolCounts> CountAsync(CancellationToken cancellationToken);

    /// <summary>Why the spool cannot commit right now, or null when healthy. Cheap: no I/O, no awaits.</summary>
    string? UnhealthyReason { get; }
}
