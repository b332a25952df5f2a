namespace MailCluster.Spool;

/// <summary>Embedded spool settings, bound from <c>Spool</c>.</summary>
internal sealed class SpoolOptions
{
    /// <summary>Directory of the embedded spool database. Default <c>./data</c>.</summary>
    public string Path { get; set; } = "data";

    /// <summary>Messages committed together at most (group commit). Default 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Messages waiting for a commit at most before enqueuers wait (back-pressure). Default 4096.</summary>
    public int MaxPendingMessages { get; set; } = 4096;

    /// <summary>How long a commit waits for a lock held by another process before failing. Default 5 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Cap on the database size in bytes; past it enqueues fail with "storage full". 0 = only the disk limits it.</summary>
    public long MaxSizeBytes { get; set; }

    /// <summary>
    /// Free bytes kept for outcomes, claims, DSNs and checkpoints (Postfix's <c>queue_minfree</c>): new
    /// mail gets 452 4.3.1 below it. 0 = the larger of two maximum-size messages and 1% of the filesystem.
    /// </summary>
    public long MinFreeBytes { get; set; }

    /// <param name="largestMessageBytes">The largest message ingress takes (<c>Smtp:Limits:MaxMessageSize</c>): the automatic reserve is at least two of them.</param>
    public IEnumerable<string> Validate(long largestMessageBytes, string section = "Spool")
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            yield return $"{section}:Path is empty; it must name a directory";
        }
        if (MaxBatchSize is < 1 or > 10_000)
        {
            yield return $"{section}:MaxBatchSize is {MaxBatchSize}; must be between 1 and 10000";
        }
        if (MaxPendingMessages < MaxBatchSize)
        {
            yield return $"{section}:MaxPendingMessages is {MaxPendingMessages}; must be at least MaxBatchSize ({MaxBatchSize})";
        }
        if (BusyTimeout < TimeSpan.FromSeconds(1))
        {
            yield return $"{section}:BusyTimeout is {BusyTimeout}; must be at least 1 second";
        }
        if (MaxSizeBytes is < 0 or (> 0 and < 1024 * 1024))
        {
            yield return $"{section}:MaxSizeBytes is {MaxSizeBytes}; must be 0 (no cap) or at least 1 MiB";
        }
        if (MinFreeBytes < 0)
        {
            yield return $"{section}:MinFreeBytes is {MinFreeBytes}; must be 0 (automatic) or a number of bytes";
        }
        // Under the cap the same reserve is kept; one that takes half the cap or more leaves no room for mail.
        var reserve = MinFreeBytes > 0 ? MinFreeBytes : SpoolHeadroom.AutomaticReserve(this, largestMessageBytes, long.MaxValue);
        if (MaxSizeBytes > 0 && 2 * reserve > MaxSizeBytes)
        {
            yield return MinFreeBytes > 0
                ? $"{section}:MinFreeBytes is {MinFreeBytes}; must be at most half of {section}:MaxSizeBytes ({MaxSizeBytes}), which keeps the same reserve"
                : $"{section}:MaxSizeBytes is {MaxSizeBytes}; the automatic reserve (two messages of Smtp:Limits:MaxMessageSize, {reserve} bytes) must be at most half of it: raise it or set {section}:MinFreeBytes";
        }
    }
}
