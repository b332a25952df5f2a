namespace MailCluster.Spool;

/// <summary>
/// One change to the suppression list: an address added (<see cref="Suppressed"/>) or removed, and
/// when. The newest change of an address wins, so replaying changes is harmless.
/// </summary>
public sealed record SuppressionEntry(string Address, bool Suppressed, string Reason, DateTimeOffset At);

/// <summary>Changes read from a store, and where to read on from next time (opaque to the caller).</summary>
public sealed record SuppressionChanges(IReadOnlyList<SuppressionEntry> Entries, string Cursor);

/// <summary>
/// Where the suppression list is kept: this silo's spool directory in <c>Single</c> mode, a table
/// every silo shares in <c>AzureStorage</c> mode. A log of changes that silos read incrementally into
/// their own cache, so that a lookup at RCPT never waits on storage.
/// </summary>
public interface ISuppressionStore
{
    /// <summary>Durably records changes, in order (an operator's import is one call).</summary>
    Task WriteAsync(IReadOnlyList<SuppressionEntry> entries, CancellationToken cancellationToken);

    /// <summary>The changes after <paramref name="cursor"/> (all of them when null); may repeat some: they apply idempotently.</summary>
    Task<SuppressionChanges> ReadChangesAsync(string? cursor, CancellationToken cancellationToken);
}
