using System.Buffers;

namespace MailCluster.Mime.Dkim;

/// <summary>A message's content with header fields put before it, without copying the message.</summary>
internal static class PrependedContent
{
    public static ReadOnlySequence<byte> Of(ReadOnlyMemory<byte> head, ReadOnlySequence<byte> rest)
    {
        var first = new Segment(head, 0);
        var last = first;
        foreach (var memory in rest)
        {
            last = last.Append(memory);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
