namespace MailCluster.Smtp.Server;

/// <summary>
/// A seekable, read-only stream over some octet ranges of another seekable stream, one after the
/// other: a message in its file without the header fields taken out of it, read without a copy.
/// Owns the stream it reads.
/// </summary>
internal sealed class SplicedStream : ReadOnlySeekableStream
{
    private readonly Stream _source;
    private readonly (long Start, long End)[] _ranges;

    // Where each range starts in this stream: a position is found by a binary search.
    private readonly long[] _starts;

    /// <param name="source">A seekable stream.</param>
    /// <param name="ranges">Ascending, not overlapping, none empty, in <paramref name="source"/>'s offsets.</param>
    public SplicedStream(Stream source, (long Start, long End)[] ranges)
    {
        _source = source;
        _ranges = ranges;
        _starts = new long[ranges.Length];
        long length = 0;
        for (var i = 0; i < ranges.Length; i++)
        {
            _starts[i] = length;
            length += ranges[i].End - ranges[i].Start;
        }
        Length = length;
    }

    public override long Length { get; }

    public override int Read(Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length && Position < Length)
        {
            var index = Array.BinarySearch(_starts, Position);
            var range = index >= 0 ? index : ~index - 1;
            var at = _ranges[range].Start + (Position - _starts[range]);
            // Reads in order stay inside a range: the source moves only at a range's start or after a seek.
            if (_source.Position != at)
            {
                _source.Position = at;
            }
            var read = _source.Read(buffer[total..][..(int)Math.Min(buffer.Length - total, _ranges[range].End - at)]);
            if (read == 0)
            {
                break;
            }
            total += read;
            Position += read;
        }
        return total;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _source.Dispose();
        }
        base.Dispose(disposing);
    }
}
