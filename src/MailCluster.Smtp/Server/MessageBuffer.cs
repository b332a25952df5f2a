using System.Buffers;

namespace MailCluster.Smtp.Server;

/// <summary>
/// The content of one message as it arrives: in pooled segments up to a limit, then in a file
/// (the segments written out and returned to the pool), so that memory per session stays bounded
/// whatever the message's size. Written once by the session, read by the host through
/// <see cref="AsContent"/>. Reused across a session's transactions; the file is deleted when the
/// transaction ends.
/// </summary>
internal sealed class MessageBuffer(long memoryLimit, string? spillDirectory) : IBufferWriter<byte>, IDisposable
{
    private const int SegmentSize = 16 * 1024;
    private const int StagingSize = 64 * 1024;

    private readonly List<Segment> _segments = [];
    private int _current = -1;
    private FileStream? _file;
    private string? _path;
    private byte[]? _staging;
    private int _staged;
    private long _flushed;

    public long Length { get; private set; }

    /// <summary>The content so far: in memory, or (once spilled) in its file, staged writes flushed first.</summary>
    public MessageContent AsContent()
    {
        if (_file is null)
        {
            return MessageContent.Of(AsSequence());
        }
        FlushStaging();
        return MessageContent.InFile(_path!, Length);
    }

    public void Advance(int count)
    {
        Length += count;
        if (_file is not null)
        {
            _staged += count;
            if (_staged == _staging!.Length)
            {
                FlushStaging();
            }
            return;
        }
        _segments[_current].Written += count;
        if (Length > memoryLimit && spillDirectory is not null)
        {
            Spill();
        }
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_file is not null)
        {
            if (_staging!.Length - _staged < Math.Max(sizeHint, 1))
            {
                FlushStaging();
                if (_staging.Length < sizeHint)
                {
                    ArrayPool<byte>.Shared.Return(_staging);
                    _staging = ArrayPool<byte>.Shared.Rent(sizeHint);
                }
            }
            return _staging.AsMemory(_staged);
        }
        var segment = _current >= 0 ? _segments[_current] : null;
        if (segment is null || segment.Array.Length - segment.Written < Math.Max(sizeHint, 1))
        {
            segment = NextSegment(Math.Max(sizeHint, SegmentSize), segment);
        }
        return segment.Array.AsMemory(segment.Written);
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <summary>Returns the segments' arrays to the pool, deletes the file, and empties the buffer for the next message.</summary>
    public void Clear()
    {
        foreach (var segment in _segments)
        {
            ArrayPool<byte>.Shared.Return(segment.Array);
        }
        _segments.Clear();
        _current = -1;
        Length = 0;
        if (_file is not null)
        {
            // DeleteOnClose: the file goes with its handle; readers still open keep their view until they close.
            _file.Dispose();
            _file = null;
            _path = null;
            ArrayPool<byte>.Shared.Return(_staging!);
            (_staging, _staged, _flushed) = (null, 0, 0);
        }
    }

    public void Dispose() => Clear();

    private ReadOnlySequence<byte> AsSequence()
    {
        if (Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        var first = _segments[0];
        var last = _segments[_current];
        return new ReadOnlySequence<byte>(first, 0, last, last.Written);
    }

    /// <summary>The content outgrew memory: what arrived so far goes to a new file, and everything after it follows there.</summary>
    private void Spill()
    {
        Directory.CreateDirectory(spillDirectory!);
        _path = Path.Combine(spillDirectory!, $"{Guid.NewGuid():N}.eml");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.DeleteOnClose,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            // Mail is private: readable by the silo's user only.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        _file = new FileStream(_path, options);
        foreach (var segment in _segments)
        {
            RandomAccess.Write(_file.SafeFileHandle, segment.Memory.Span, _flushed);
            _flushed += segment.Written;
            ArrayPool<byte>.Shared.Return(segment.Array);
        }
        _segments.Clear();
        _current = -1;
        _staging = ArrayPool<byte>.Shared.Rent(StagingSize);
        _staged = 0;
    }

    private void FlushStaging()
    {
        if (_staged == 0)
        {
            return;
        }
        RandomAccess.Write(_file!.SafeFileHandle, _staging.AsSpan(0, _staged), _flushed);
        _flushed += _staged;
        _staged = 0;
    }

    private Segment NextSegment(int size, Segment? previous)
    {
        var segment = new Segment(ArrayPool<byte>.Shared.Rent(size), previous is null ? 0 : previous.RunningIndex + previous.Written);
        previous?.Link(segment);
        _segments.Add(segment);
        _current++;
        return segment;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] array, long runningIndex)
        {
            Array = array;
            RunningIndex = runningIndex;
        }

        public byte[] Array { get; }

        public int Written
        {
            get => Memory.Length;
            set => Memory = Array.AsMemory(0, value);
        }

        public void Link(Segment next) => Next = next;
    }
}
