namespace MailCluster.Spool;

/// <summary>Free and total bytes of the filesystem that holds a path (statvfs).</summary>
public sealed record DiskSpace(long Available, long Total)
{
    public static DiskSpace Of(string path)
    {
        // On Unix DriveInfo takes any path and asks statvfs about the filesystem that holds it.
        var drive = new DriveInfo(path);
        return new DiskSpace(drive.AvailableFreeSpace, drive.TotalSize);
    }
}

/// <summary>
/// The room the spool keeps free so that outcomes, claims, DSNs and WAL checkpoints always fit
/// (Postfix's <c>queue_minfree</c>): new mail is refused while the filesystem's free space, or
/// the room left under <see cref="SpoolOptions.MaxSizeBytes"/>, minus the message would fall
/// below <see cref="Reserve"/>. The filesystem is measured at most once a second, and after each
/// commit while space is scarce or capped, so asking costs no I/O in between; what was stored
/// since the last measurement counts as used meanwhile.
/// </summary>
public sealed class SpoolHeadroom
{
    private static readonly TimeSpan s_measurePeriod = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly long _maxSizeBytes;
    private readonly TimeProvider _time;
    private readonly Func<string, DiskSpace> _measure;
    private readonly Action<string?> _refusalChanged;
    private readonly long _largestMessageBytes;
    private readonly Lock _gate = new();
    private long _measuredAt;
    private DiskSpace _disk;
    private long _databaseBytes;
    private long _writtenSinceMeasured;
    private string? _refusal;

    /// <param name="refusalChanged">Told the new reason each time new mail starts or stops being refused (null: accepting again).</param>
    public SpoolHeadroom(SpoolOptions options, long largestMessageBytes, TimeProvider time, Func<string, DiskSpace> measure, Action<string?> refusalChanged)
    {
        _path = options.Path;
        _maxSizeBytes = options.MaxSizeBytes;
        _time = time;
        _measure = measure;
        _refusalChanged = refusalChanged;
        _largestMessageBytes = largestMessageBytes;
        _disk = measure(_path);
        _measuredAt = time.GetTimestamp();
        Reserve = options.MinFreeBytes > 0 ? options.MinFreeBytes : Math.Max(2 * largestMessageBytes, _disk.Total / 100);
        Update();
    }

    /// <summary>Bytes kept free for the spool's own writes: <c>Spool:MinFreeBytes</c>, else the larger of two maximum-size messages and 1% of the filesystem.</summary>
    public long Reserve { get; }

    /// <summary>Bytes the spool may still fill: the filesystem's free space, or less under the size cap.</summary>
    public long FreeBytes
    {
        get
        {
            MeasureIfStale();
            return Free(Volatile.Read(ref _databaseBytes));
        }
    }

    /// <summary>True under <see cref="SpoolOptions.MaxSizeBytes"/>: the database's own size counts then.</summary>
    public bool IsCapped => _maxSizeBytes > 0;

    /// <summary>True while free space is under twice the reserve: the spool then gives freed pages back to the filesystem.</summary>
    public bool IsScarce => FreeBytes < 2 * Reserve;

    /// <summary>Why a message of <paramref name="messageBytes"/> must be refused now (452 4.3.1), or null when it fits above the reserve.</summary>
    public string? Refuses(long messageBytes)
    {
        var free = FreeBytes;
        if (free - messageBytes >= Reserve)
        {
            return null;
        }
        return messageBytes == 0 || free < Reserve
            ? Reason(free)
            : $"a message of {messageBytes} bytes would leave less than the reserve of {Reserve} bytes free ({free} bytes free)";
    }

    /// <summary>Why a message of the maximum size would be refused now: the silo should not get traffic meanwhile.</summary>
    public string? RefusesLargestMessage() => Refuses(_largestMessageBytes);

    /// <summary>
    /// The spool stored a message of <paramref name="bytes"/>: until the filesystem is measured
    /// again it counts as used twice (once in the log, once in the database after a checkpoint),
    /// so that a burst within one second cannot run past the reserve.
    /// </summary>
    public void Stored(long bytes) => Interlocked.Add(ref _writtenSinceMeasured, 2 * bytes);

    /// <summary>The writer reports the bytes its database pages hold after each commit; the filesystem is measured again too.</summary>
    internal void DatabaseMeasured(long usedBytes)
    {
        Volatile.Write(ref _databaseBytes, usedBytes);
        Measure();
    }

    private long Free(long databaseBytes)
    {
        var available = Volatile.Read(ref _disk).Available - Interlocked.Read(ref _writtenSinceMeasured);
        return _maxSizeBytes > 0 ? Math.Min(available, _maxSizeBytes - databaseBytes) : available;
    }

    private string Reason(long free) =>
        _maxSizeBytes > 0 && free < _disk.Available
            ? $"the spool is within {free} bytes of Spool:MaxSizeBytes ({_maxSizeBytes}), below the reserve of {Reserve} bytes"
            : $"the spool's filesystem has {free} bytes free, below the reserve of {Reserve} bytes (Spool:MinFreeBytes)";

    private void MeasureIfStale()
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _measuredAt)) >= s_measurePeriod)
        {
            Measure();
        }
    }

    private void Measure()
    {
        DiskSpace disk;
        try
        {
            disk = _measure(_path);
        }
        catch (IOException)
        {
            // Unmeasurable for a moment: keep the last figures rather than guess.
            return;
        }
        lock (_gate)
        {
            Volatile.Write(ref _disk, disk);
            Interlocked.Exchange(ref _writtenSinceMeasured, 0);
            Volatile.Write(ref _measuredAt, _time.GetTimestamp());
            Update();
        }
    }

    private void Update()
    {
        var free = Free(_databaseBytes);
        var refusal = free < Reserve ? Reason(free) : null;
        if ((refusal is null) != (_refusal is null))
        {
            _refusal = refusal;
            _refusalChanged(refusal);
        }
    }
}
