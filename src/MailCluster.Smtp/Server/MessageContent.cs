using System.Buffers;

namespace MailCluster.Smtp.Server;

/// <summary>
/// One message's content as the session received it: in memory, or in a file once it grew past
/// <see cref="SmtpServerLimits.MaxContentInMemory"/>; or such content with some octet ranges taken
/// out (<see cref="Without"/>), still without a copy. Valid until the transaction ends; readers
/// open their own stream over it.
/// </summary>
public sealed class MessageContent
{
    private readonly string? _path;

    // Content kept from another file-backed content: its ranges, read through a SplicedStream.
    private readonly MessageContent? _source;
    private readonly (long Start, long End)[]? _kept;

    private MessageContent(long length, ReadOnlySequence<byte>? inMemory, string? path, MessageContent? source = null, (long Start, long End)[]? kept = null)
    {
        Length = length;
        InMemory = inMemory;
        _path = path;
        _source = source;
        _kept = kept;
    }

    public long Length { get; }

    /// <summary>The content, when it is held in memory; null when it is in a file.</summary>
    public ReadOnlySequence<byte>? InMemory { get; }

    public static MessageContent Of(ReadOnlySequence<byte> content) => new(content.Length, content, null);

    internal static MessageContent InFile(string path, long length) => new(length, null, path);

    /// <summary>A seekable, read-only stream over the content from its first octet.</summary>
    public Stream OpenRead() => InMemory is { } memory ? new SequenceStream(memory)
        : _source is not null ? new SplicedStream(_source.OpenRead(), _kept!)
        : new FileStream(_path!, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 64 * 1024 });

    /// <summary>
    /// This content without the octets of <paramref name="removed"/> (ascending, not overlapping,
    /// end exclusive): in memory a new chain over the same segments, in a file a view that skips
    /// them. Nothing is copied, however large the message; this content itself is unchanged.
    /// </summary>
    public MessageContent Without(ReadOnlySpan<(long Start, long End)> removed)
    {
        if (removed.IsEmpty)
        {
            return this;
        }
        var kept = Kept(removed, Length);
        if (InMemory is { } memory)
        {
            var parts = new ReadOnlySequence<byte>[kept.Length];
            for (var i = 0; i < kept.Length; i++)
            {
                parts[i] = memory.Slice(kept[i].Start, kept[i].End - kept[i].Start);
            }
            return Of(SequenceChain.Join(parts));
        }
        return new MessageContent(kept.Sum(r => r.End - r.Start), null, null, this, kept);
    }

    /// <summary>The non-empty ranges of [0, <paramref name="length"/>) between the removed ones.</summary>
    private static (long Start, long End)[] Kept(ReadOnlySpan<(long Start, long End)> removed, long length)
    {
        var kept = new List<(long Start, long End)>(removed.Length + 1);
        long from = 0;
        foreach (var (start, end) in removed)
        {
            if (start < from || end < start || end > length)
            {
                throw new ArgumentException($"Range [{start}, {end}) is out of order or outside the content's {length} octets", nameof(removed));
            }
            if (start > from)
            {
                kept.Add((from, start));
            }
            from = end;
        }
        if (from < length)
        {
            kept.Add((from, length));
        }
        return [.. kept];
    }
}
