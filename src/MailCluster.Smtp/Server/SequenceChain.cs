using System.Buffers;

namespace MailCluster.Smtp.Server;

/// <summary>
/// Byte sequences joined into one without copying them: a new chain of segments over the same
/// memory. Signature fields put before a message, or the parts of a message kept around fields
/// taken out of it.
/// </summary>
public static class SequenceChain
{
    /// <summary>The parts one after the other (empty ones leave no segment).</summary>
    public static ReadOnlySequence<byte> Join(params ReadOnlySpan<ReadOnlySequence<byte>> parts)
    {
        Segment? first = null;
        Segment? last = null;
        foreach (var part in parts)
        {
            foreach (var memory in part)
            {
                if (memory.IsEmpty)
                {
                    continue;
                }
                last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
            }
        }
        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
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
