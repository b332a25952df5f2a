using System.Buffers;
using System.IO.Pipelines;

namespace MailCluster.Smtp.Client;

/// <summary>What the client must know about content before it sends MAIL FROM.</summary>
/// <param name="Size">Octets after line-ending repair, without dot-stuffing: the RFC 1870 SIZE and the BDAT length.</param>
/// <param name="Has8Bit">Any octet above 127, which needs BODY=8BITMIME (RFC 6152).</param>
internal readonly record struct ContentFacts(long Size, bool Has8Bit);

/// <summary>Measures and writes message content in slices, so a large message is never copied whole.</summary>
internal static class OutboundContent
{
    public const int SliceSize = 64 * 1024;

    public static ContentFacts Measure(ReadOnlySequence<byte> content)
    {
        var counter = new CountingWriter();
        var normalizer = new ContentNormalizer(dotStuff: false);
        var has8Bit = false;
        foreach (var segment in content)
        {
            has8Bit |= segment.Span.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0;
            normalizer.Write(segment.Span, counter);
        }
        normalizer.Complete(counter);
        return new ContentFacts(counter.Count, has8Bit);
    }

    /// <summary>Writes the content; <paramref name="flushAsync"/> runs whenever a slice's worth is buffered. The caller flushes the rest.</summary>
    public static async ValueTask WriteAsync(ReadOnlySequence<byte> content, bool dotStuff, PipeWriter output, Func<ValueTask> flushAsync)
    {
        var normalizer = new ContentNormalizer(dotStuff);
        foreach (var segment in content)
        {
            for (var offset = 0; offset < segment.Length; offset += SliceSize)
            {
                normalizer.Write(segment.Span.Slice(offset, Math.Min(SliceSize, segment.Length - offset)), output);
                if (output.UnflushedBytes >= SliceSize)
                {
                    await flushAsync();
                }
            }
        }
        normalizer.Complete(output);
    }

    /// <summary>An IBufferWriter that only counts: the measuring pass runs the very same normalizer.</summary>
    private sealed class CountingWriter : IBufferWriter<byte>
    {
        private readonly byte[] _scratch = new byte[4096];

        public long Count { get; private set; }

        public void Advance(int count) => Count += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => sizeHint <= _scratch.Length ? _scratch : new byte[sizeHint];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
