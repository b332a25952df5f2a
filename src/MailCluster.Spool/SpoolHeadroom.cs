namespace MailCluster.Spool;

/// <summary>Free and total bytes of the filesystem that holds a path (statvfs).</summary>
internal sealed record DiskSpace(long Available, long Total)
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
/// commit while space is scarce or capped, so asking costs no I/O in between. Messages taken since
/// the last measurement count as used meanwhile (twice: in the log, then in the database).
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
    private long _takenSinceMeasured;
    private string? _refusal;

    /// <param name="refusalChanged">Told the new reason each time new mail starts or stops being refused (null: accepting again).</param>
    internal SpoolHeadroom(SpoolOptions options, long largestMessageBytes, TimeProvider time, Func<string, DiskSpace> measure, Action<string?> refusalChanged)
    {
        _path = options.Path;
        _maxSizeBytes = options.MaxSizeBytes;
        _time = time;
        _measure = measure;
        _refusalChanged = refusalChanged;
        _largestMessageBytes = largestMessageBytes;
        _disk = measure(_path);
        _measuredAt = time.GetTimestamp();
        Reserve = options.MinFreeBytes > 0 ? options.MinFreeBytes : AutomaticReserve(options, largestMessageBytes, _disk.Total);
        Update();
    }

    /// <summary>Bytes kept free for the spool's own writes: <c>Spool:MinFreeBytes</c>, else the larger of two maximum-size messages and 1% of the room.</summary>
    public long Reserve { get; }

    /// <summary>Bytes the spool may still fill: the filesystem's free space, or less under the size cap.</summary>
    public long FreeBytes
    {
        get
        {
            MeasureIfStale();
            return Free();
        }
    }

    /// <summary>True under <see cref="SpoolOptions.MaxSizeBytes"/>: the database's own size counts then.</summary>
    public bool IsCapped => _maxSizeBytes > 0;

    /// <summary>True while the filesystem's free space is under twice the reserve: the spool then gives freed pages back to it.</summary>
    internal bool IsFilesystemScarce
    {
        get
        {
            MeasureIfStale();
            return Volatile.Read(ref _disk).Available - Interlocked.Read(ref _takenSinceMeasured) < 2 * Reserve;
        }
    }

    /// <summary>
    /// The reserve when <c>Spool:MinFreeBytes</c> is 0: two maximum-size messages or 1% of the room
    /// (the filesystem, or the size cap when smaller), whichever is larger.
    /// </summary>
    internal static long AutomaticReserve(SpoolOptions options, long largestMessageBytes, long filesystemBytes)
    {
        var room = options.MaxSizeBytes > 0 ? Math.Min(options.MaxSizeBytes, filesystemBytes) : filesystemBytes;
        return Math.Max(2 * largestMessageBytes, room / 100);
    }

    /// <summary>Why a message of <paramref name="messageBytes"/> must be refused now (452 4.3.1), or null when it fits above the reserve.</summary>
    public string? Refuses(long messageBytes) => Refusal(FreeBytes, messageBytes, Reserve);

    /// <summary>Why a message of the maximum size would be refused now: the silo should not get traffic meanwhile.</summary>
    public string? RefusesLargestMessage() => Refuses(_largestMessageBytes);

    /// <summary>
    /// Takes room for a message about to be stored, atomically with the check, so that sessions
    /// committing at once cannot together run past the reserve. Null when taken; otherwise the
    /// refusal. <see cref="Return"/> gives it back if the message is not stored after all.
    /// </summary>
    public string? TryTake(long messageBytes) => TryTake(messageBytes, Reserve);

    /// <summary>
    /// As <see cref="TryTake"/>, for a DSN: it replaces a bounced recipient and may use half the
    /// reserve, no more, so that bounces of one large message cannot eat the room kept for
    /// outcomes and checkpoints. <see cref="Return"/> gives it back as well.
    /// </summary>
    public string? TryTakeForDsn(long dsnBytes) => TryTake(dsnBytes, Reserve / 2);

    private string? TryTake(long messageBytes, long floor)
    {
        MeasureIfStale();
        while (true)
        {
            var taken = Interlocked.Read(ref _takenSinceMeasured);
            var free = Free(taken);
            if (Refusal(free, messageBytes, floor) is { } refusal)
            {
                return refusal;
            }
            if (Interlocked.CompareExchange(ref _takenSinceMeasured, taken + Used(messageBytes), taken) == taken)
            {
                return null;
            }
        }
    }

    /// <summary>Gives back what <see cref="TryTake"/> took for a message that was not stored.</summary>
    public void Return(long messageBytes) => Interlocked.Add(ref _takenSinceMeasured, -Used(messageBytes));

    /// <summary>The spool reports the bytes its database pages hold (at open, and after commits while capped or scarce); the filesystem is measured again too.</summary>
    internal void DatabaseMeasured(long usedBytes)
    {
        Volatile.Write(ref _databaseBytes, usedBytes);
        Measure();
    }

    // A stored message is in the log first and in the database after the checkpoint.
    private static long Used(long messageBytes) => 2 * messageBytes;

    private long Free() => Free(Interlocked.Read(ref _takenSinceMeasured));

    private long Free(long taken)
    {
        var available = Volatile.Read(ref _disk).Available - taken;
        return _maxSizeBytes > 0 ? Math.Min(available, _maxSizeBytes - Volatile.Read(ref _databaseBytes) - taken) : available;
    }

    private string? Refusal(long free, long messageBytes, long floor)
    {
        if (free - messageBytes >= floor)
        {
            return null;
        }
        return messageBytes == 0 || free < floor
            ? Reason(free)
            : floor == Reserve
                ? $"a message of {messageBytes} bytes would leave less than the reserve of {Reserve} bytes free ({free} bytes free)"
                : $"a DSN of {messageBytes} bytes would leave less than half the reserve of {Reserve} bytes free ({free} bytes free)";
    }

    private string Reason(long free) =>
        _maxSizeBytes > 0 && free < Volatile.Read(ref _disk).Available - Interlocked.Read(ref _takenSinceMeasured)
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
        lock (_gate)
        {
            // What was taken before this reading is in it; what is taken while it runs is not yet.
            var taken = Interlocked.Read(ref _takenSinceMeasured);
            DiskSpace disk;
            try
            {
                disk = _measure(_path);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Unmeasurable for a moment: keep the last figures rather than guess.
                return;
            }
            Volatile.Write(ref _disk, disk);
            Interlocked.Add(ref _takenSinceMeasured, -taken);
            Volatile.Write(ref _measuredAt, _time.GetTimestamp());
            Update();
        }
    }

    private void Update()
    {
        var free = Free();
        var refusal = free < Reserve ? Reason(free) : null;
        if ((refusal is null) != (_refusal is null))
        {
            _refusal = refusal;
            _refusalChanged(refusal);
        }
    }
}
