using System.Buffers;

namespace MailCluster.Smtp.Server;

/// <summary>A seekable, read-only stream over a <see cref="ReadOnlySequence{T}"/>: readers that want a stream (MimeKit) get the segments without a copy.</summary>
public sealed class SequenceStream(ReadOnlySequence<byte> sequence) : ReadOnlySeekableStream
{
    public override long Length => sequence.Length;

    public override int Read(Span<byte> buffer)
    {
        if (Position >= sequence.Length)
        {
            return 0;
        }
        var remaining = sequence.Slice(Position);
        var count = (int)Math.Min(buffer.Length, remaining.Length);
        remaining.Slice(0, count).CopyTo(buffer);
        Position += count;
        return count;
    }
}
