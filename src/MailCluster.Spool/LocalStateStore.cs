namespace MailCluster.Spool;

/// <summary>A value kept in the local spool, with the version that fences the next write.</summary>
public sealed record StoredState(string ETag, byte[] Data);

/// <summary>
/// Small named values kept durably in the local spool beside the mail (the single-silo cluster's
/// grain state). Writes are fenced by ETag: a write names the version it replaces, and loses
/// when another write came first.
/// </summary>
public interface ILocalStateStore
{
    ValueTask<StoredState?> ReadStateAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="data"/> if the stored version is <paramref name="expectedETag"/> (null: no value yet);
    /// returns the new version, or null when the stored version differs.
    /// </summary>
    ValueTask<string?> WriteStateAsync(string key, string? expectedETag, byte[] data, CancellationToken cancellationToken);

    /// <summary>Removes the value if its version is <paramref name="expectedETag"/>; false when it differs.</summary>
    ValueTask<bool> DeleteStateAsync(string key, string? expectedETag, CancellationToken cancellationToken);
}
