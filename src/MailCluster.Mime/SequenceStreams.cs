using System.Buffers;
using System.Runtime.InteropServices;

namespace MailCluster.Mime;

/// <summary>Streams over content this room was handed in memory, for MimeKit's readers.</summary>
internal static class SequenceStreams
{
    /// <summary>A read-only stream over the bytes: the array itself when they are one array's (a DSN, a test), else a copy.</summary>
    public static MemoryStream Open(ReadOnlySequence<byte> bytes) =>
        bytes.IsSingleSegment && MemoryMarshal.TryGetArray(bytes.First, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);
}
