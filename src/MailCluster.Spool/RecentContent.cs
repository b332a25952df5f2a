using System.Buffers;

namespace MailCluster.Spool;

/// <summary>
/// The content of the messages committed last, kept in memory up to a small budget, so that the
/// first delivery attempt, which usually follows within milliseconds, takes it from here instead
/// of reading it back from the store (a connection, a query and the content's pages per message).
/// Only a copy of what is committed: the store stays the truth. An entry goes when it is taken
/// (later attempts read the store), when its message goes, or, oldest first, when newer content
/// needs its room. Nothing is kept until something has read content: a silo that does not deliver
/// (delivery off, an ingress-only node) would only hold copies nobody takes.
/// </summary>
internal sealed class RecentContent
{
    /// <summary>
    /// Enough for the messages between commit and first attempt at a thousand 50 KiB messages per
    /// second (tens of milliseconds), and small against the process's own memory.
    /// </summary>
    public const int BudgetBytes = 4 * 1024 * 1024;

    /// <summary>Larger content is not kept: it would push out many messages for one.</summary>
    public const int MaxEntryBytes = BudgetBytes / 16;

    /// <summary>Keys in the order queue, taken ones included, before the oldest goes whatever its size.</summary>
    public const int MaxKeys = 16 * 1024;

    private readonly Dictionary<string, (byte[] Octets, int Length)> _entries = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly Lock _lock = new();
    private long _bytes;
    private volatile bool _read;

    /// <summary>Keeps a copy of <paramref name="content"/>, just committed as <paramref name="queueId"/>, when it is small enough.</summary>
    public void Remember(string queueId, SpoolContent content)
    {
        if (!_read || content.Length > MaxEntryBytes || content.Rest is { InMemory: null })
        {
            return;
        }
        var length = (int)content.Length;
        var octets = ArrayPool<byte>.Shared.Rent(length);
        content.Head.CopyTo(octets);
        content.Rest?.InMemory?.CopyTo(octets.AsSpan((int)content.Head.Length));
        lock (_lock)
        {
            // Taken entries leave their keys behind; the count bound drops them, with one never taken.
            while ((_bytes + length > BudgetBytes || _order.Count >= MaxKeys) && _order.TryDequeue(out var oldest))
            {
                Drop(oldest);
            }
            if (_entries.TryAdd(queueId, (octets, length)))
            {
                _order.Enqueue(queueId);
                _bytes += length;
                return;
            }
        }
        ArrayPool<byte>.Shared.Return(octets);
    }

    /// <summary>Writes the content of <paramref name="queueId"/> to <paramref name="destination"/> and drops it; false when it is not kept.</summary>
    public bool TryTake(string queueId, IBufferWriter<byte> destination)
    {
        if (!_read)
        {
            _read = true;
        }
        lock (_lock)
        {
            if (!_entries.TryGetValue(queueId, out var entry))
            {
                return false;
            }
            destination.Write(entry.Octets.AsSpan(0, entry.Length));
            // Its key stays in the order queue until it reaches the front: Drop then finds nothing.
            Drop(queueId);
            return true;
        }
    }

    /// <summary>Drops the content of a message that is gone (or was never stored).</summary>
    public void Forget(string queueId)
    {
        lock (_lock)
        {
            Drop(queueId);
        }
    }

    private void Drop(string queueId)
    {
        if (_entries.Remove(queueId, out var entry))
        {
            _bytes -= entry.Length;
            ArrayPool<byte>.Shared.Return(entry.Octets);
        }
    }
}
