using System.Text;
using MailCluster.Cluster.RetryTier;
using MailCluster.Spool;

namespace MailCluster.Testing.RetryTier;

/// <summary>
/// A retry tier in memory, on a clock the test controls, that passes <see cref="RetryTierConformance"/>:
/// visibility, pop receipts renewed by every update, dequeue counts, finished records, tombstones.
/// Faults on cue: <see cref="FailNext"/> makes calls throw as an unreachable storage does, and
/// <see cref="LoseReplyToNextRewrite"/> carries out a rewrite and then answers as a lost reply does.
/// </summary>
public sealed class InMemoryRetryTier : IRetryTier
{
    private readonly Storage _storage;
    private readonly TimeProvider _time;
    private readonly int _partitions;

    public InMemoryRetryTier(TimeProvider time, int partitions = 4)
        : this(time, partitions, new Storage())
    {
    }

    private InMemoryRetryTier(TimeProvider time, int partitions, Storage storage) => (_time, _partitions, _storage) = (time, partitions, storage);

    /// <summary>Entries copied to the dead-letter store, with the reason.</summary>
    public List<(RetryEntry Entry, string Reason)> DeadLetters => _storage.DeadLetters;

    /// <summary>A tier over the same storage that writes to <paramref name="partitions"/> partitions (a silo configured otherwise).</summary>
    public InMemoryRetryTier WithPartitions(int partitions) => new(_time, partitions, _storage);

    /// <summary>Every entry stored now, hidden or not.</summary>
    public IReadOnlyList<RetryEntry> Entries
    {
        get
        {
            lock (_storage.Lock)
            {
                return [.. _storage.Queues.Values.SelectMany(q => q).Select(m => m.Entry)];
            }
        }
    }

    /// <summary>The next <paramref name="calls"/> calls throw <see cref="IOException"/>, changing nothing.</summary>
    public void FailNext(int calls)
    {
        lock (_storage.Lock)
        {
            _storage.Failures = calls;
        }
    }

    /// <summary>The next rewrite is made, and its caller learns only that the outcome is unknown.</summary>
    public void LoseReplyToNextRewrite()
    {
        lock (_storage.Lock)
        {
            _storage.LoseReply = true;
        }
    }

    public string PartitionOf(string domain)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(domain.ToLowerInvariant()))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }
        return $"p{hash % (uint)_partitions}";
    }

    public Task AddAsync(RetryEntry entry, DateTimeOffset dueAt, CancellationToken cancellationToken) => Call(() =>
    {
        var partition = PartitionOf(entry.Domain);
        if (!_storage.Queues.TryGetValue(partition, out var queue))
        {
            _storage.Queues[partition] = queue = [];
        }
        queue.Add(new Message(Guid.NewGuid().ToString("N"), entry, dueAt));
        return true;
    });

    public Task<IReadOnlyList<string>> PartitionsAsync(CancellationToken cancellationToken) =>
        Call(() => (IReadOnlyList<string>)[.. _storage.Queues.Keys]);

    public Task<IReadOnlyList<ReceivedEntry>> ReceiveAsync(string partition, int max, TimeSpan lease, CancellationToken cancellationToken) => Call(() =>
    {
        var now = _time.GetUtcNow();
        var due = _storage.Queues.GetValueOrDefault(partition, []).Where(m => m.VisibleAt <= now).Take(Math.Clamp(max, 1, 32)).ToList();
        var received = new List<ReceivedEntry>();
        foreach (var message in due)
        {
            message.VisibleAt = now + lease;
            message.DequeueCount++;
            message.PopReceipt = Guid.NewGuid().ToString("N");
            var entry = message.Entry;
            var receivedEntry = new ReceivedEntry(entry, partition, message.Id, message.PopReceipt, message.DequeueCount);
            if (receivedEntry.UnrecordedReceives > 0 && _storage.Finished.TryGetValue(entry.Id, out var finished))
            {
                receivedEntry.Entry = entry with { Recipients = [.. entry.Recipients.Where(r => !finished.Contains(r.Address))] };
            }
            received.Add(receivedEntry);
        }
        return (IReadOnlyList<ReceivedEntry>)received;
    });

    public Task<bool> ExtendAsync(ReceivedEntry received, TimeSpan lease, CancellationToken cancellationToken) =>
        Call(() => Update(received, null, _time.GetUtcNow() + lease));

    public Task<bool> RescheduleAsync(ReceivedEntry received, RetryEntry updated, DateTimeOffset dueAt, CancellationToken cancellationToken) => Call(() =>
    {
        var owned = Update(received, updated, dueAt);
        if (owned && _storage.LoseReply)
        {
            _storage.LoseReply = false;
            throw new RetryTierOutcomeUnknownException($"the reply to the rewrite of {received.Entry.Id} was lost", new IOException("connection reset"));
        }
        return owned;
    });

    public Task<bool> DeleteAsync(ReceivedEntry received, CancellationToken cancellationToken) => Call(() =>
    {
        if (Owned(received) is not { } message)
        {
            return false;
        }
        _storage.Queues[received.Partition].Remove(message);
        _storage.Finished.Remove(received.Entry.Id);
        return true;
    });

    public Task RecordFinishedAsync(ReceivedEntry received, IReadOnlyCollection<EnvelopeRecipient> recipients, CancellationToken cancellationToken) => Call(() =>
    {
        if (!_storage.Finished.TryGetValue(received.Entry.Id, out var finished))
        {
            _storage.Finished[received.Entry.Id] = finished = new HashSet<string>(StringComparer.Ordinal);
        }
        finished.UnionWith(recipients.Select(r => r.Address));
        return true;
    });

    public Task DeadLetterAsync(ReceivedEntry received, string reason, CancellationToken cancellationToken) => Call(() =>
    {
        DeadLetters.Add((received.Entry, reason));
        return true;
    });

    public Task<IReadOnlyDictionary<string, int>> CountByDomainAsync(CancellationToken cancellationToken) => Call(() =>
        (IReadOnlyDictionary<string, int>)_storage.Queues.Values.SelectMany(q => q).GroupBy(m => m.Entry.Domain, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase));

    public Task<IReadOnlyDictionary<string, long>> ApproximateCountsAsync(CancellationToken cancellationToken) => Call(() =>
        (IReadOnlyDictionary<string, long>)_storage.Queues.ToDictionary(q => q.Key, q => (long)q.Value.Count, StringComparer.Ordinal));

    public Task AddTombstoneAsync(RetryTombstone tombstone, TimeSpan dueIn, CancellationToken cancellationToken) => Call(() =>
    {
        _storage.Tombstones.Add(tombstone);
        foreach (var message in _storage.Queues.Values.SelectMany(q => q).Where(m => tombstone.Matches(m.Entry)))
        {
            message.VisibleAt = _time.GetUtcNow() + dueIn;
        }
        return true;
    });

    /// <summary>How often the tombstones were read.</summary>
    public int TombstoneReads { get; private set; }

    public Task<IReadOnlyList<RetryTombstone>> TombstonesAsync(DateTimeOffset since, CancellationToken cancellationToken) => Call(() =>
    {
        TombstoneReads++;
        _storage.Tombstones.RemoveAll(t => t.At < since);
        return (IReadOnlyList<RetryTombstone>)[.. _storage.Tombstones.OrderBy(t => t.At)];
    });

    private bool Update(ReceivedEntry received, RetryEntry? updated, DateTimeOffset visibleAt)
    {
        if (Owned(received) is not { } message)
        {
            return false;
        }
        message.VisibleAt = visibleAt;
        message.PopReceipt = Guid.NewGuid().ToString("N");
        received.PopReceipt = message.PopReceipt;
        if (updated is not null)
        {
            message.Entry = updated;
            received.Entry = updated;
            _storage.Finished.Remove(updated.Id);
        }
        return true;
    }

    /// <summary>The message, when the receipt is still the current one (no other consumer took it over).</summary>
    private Message? Owned(ReceivedEntry received) =>
        _storage.Queues.GetValueOrDefault(received.Partition, []).FirstOrDefault(m => m.Id == received.MessageId && m.PopReceipt == received.PopReceipt);

    private Task<T> Call<T>(Func<T> call)
    {
        lock (_storage.Lock)
        {
            if (_storage.Failures > 0)
            {
                _storage.Failures--;
                return Task.FromException<T>(new IOException("the retry tier's storage does not answer"));
            }
            try
            {
                return Task.FromResult(call());
            }
            catch (Exception e)
            {
                return Task.FromException<T>(e);
            }
        }
    }

    /// <summary>What tiers of one service share.</summary>
    private sealed class Storage
    {
        public object Lock { get; } = new();

        public Dictionary<string, List<Message>> Queues { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, HashSet<string>> Finished { get; } = new(StringComparer.Ordinal);

        public List<RetryTombstone> Tombstones { get; } = [];

        public List<(RetryEntry Entry, string Reason)> DeadLetters { get; } = [];

        public int Failures { get; set; }

        public bool LoseReply { get; set; }
    }

    private sealed class Message(string id, RetryEntry entry, DateTimeOffset visibleAt)
    {
        public string Id { get; } = id;

        public RetryEntry Entry { get; set; } = entry;

        public DateTimeOffset VisibleAt { get; set; } = visibleAt;

        public long DequeueCount { get; set; }

        public string PopReceipt { get; set; } = "";
    }
}
