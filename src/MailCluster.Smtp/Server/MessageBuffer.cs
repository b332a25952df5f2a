using System.Buffers;

namespace MailCluster.Smtp.Server;

/// <summary>
/// The content of one message in pooled segments: written once by the session, read once by the
/// spool as a <see cref="ReadOnlySequence{T}"/>. Reused across a session's transactions.
/// </summary>
internal sealed class MessageBuffer : IBufferWriter<byte>, IDisposable
{
    private const int SegmentSize = 16 * 1024;

    private readonly List<Segment> _segments = [];
    private int _current = -1;

    public long Length { get; private set; }

    public ReadOnlySequence<byte> AsSequence()
    {
        if (Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        var first = _segments[0];
        var last = _segments[_current];
        return new ReadOnlySequence<byte>(first, 0, last, last.Written);
    }

    public void Advance(int count)
    {
        var segment = _segments[_current];
        segment.Written += count;
        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var segment = _current >= 0 ? _segments[_current] : null;
        if (segment is null || segment.Array.Length - segment.Written < Math.Max(sizeHint, 1))
        {
            segment = NextSegment(Math.Max(sizeHint, SegmentSize), segment);
        }
        return segment.Array.AsMemory(segment.Written);
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <summary>Returns the segments' arrays to the pool and empties the buffer for the next message.</summary>
    public void Clear()
    {
        foreach (var segment in _segments)
        {
            ArrayPool<byte>.Shared.Return(segment.Array);
        }
        _segments.Clear();
        _current = -1;
        Length = 0;
    }

    public void Dispose() => Clear();

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
