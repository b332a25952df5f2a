using System.Collections.Concurrent;
using System.Text;
using MailCluster.Cluster.RetryTier;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;

namespace MailCluster.Cluster.RetryTier;

/// <summary>
/// The retry tier on Azure Storage. Entries are messages in partition queues
/// <c>mc&lt;ServiceId&gt;-retry-p&lt;k&gt;</c> whose visibility is the next attempt time (they never
/// expire by TTL); big bodies are blobs in the container <c>mc&lt;ServiceId&gt;-retry</c>, which
/// also holds the DSN claims and dead letters; the table <c>mc&lt;ServiceId&gt;RetryIndex</c> is
/// the index operators count and act through (approximate: written after the queue, and a failed
/// index write does not fail the entry). Storage calls retry once and time out after 10 s, so an
/// outage fails fast and the caller keeps the mail where it is.
/// </summary>
internal sealed class AzureRetryTier : IRetryTier
{
    private const string TombstonePartition = "~tombstones";
    private static readonly TimeSpan s_longestVisibility = TimeSpan.FromDays(7);

    private readonly QueueServiceClient _queues;
    private readonly BlobContainerClient _blobs;
    private readonly TableClient _index;
    private readonly string _partitionPrefix;
    private readonly string _deadLetterQueue;
    private readonly int _partitions;
    private readonly RetryTierMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Lazy<Task>> _created = new(StringComparer.Ordinal);

    public AzureRetryTier(string connectionString, string serviceId, RetryTierOptions options, RetryTierMetrics metrics, TimeProvider time)
    {
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var blobOptions = new BlobClientOptions();
        var tableOptions = new TableClientOptions();
        foreach (var retry in new[] { queueOptions.Retry, blobOptions.Retry, tableOptions.Retry })
        {
            retry.MaxRetries = 1;
            retry.Delay = TimeSpan.FromMilliseconds(200);
            retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        }
        var name = QueueName(serviceId);
        _queues = new QueueServiceClient(connectionString, queueOptions);
        _blobs = new BlobContainerClient(connectionString, name, blobOptions);
        _index = new TableClient(connectionString, AzureStorageAccount.TableName(serviceId, "RetryIndex"), tableOptions);
        _partitionPrefix = $"{name}-p";
        _deadLetterQueue = $"{name}-dead";
        _partitions = options.Partitions;
        _metrics = metrics;
        _time = time;
    }

    /// <summary>
    /// Queue and container names allow 3-63 lower-case letters, digits and single hyphens: the
    /// ServiceId's letters and digits, lower-cased, after "mc", then "-retry".
    /// </summary>
    public static string QueueName(string serviceId)
    {
        var letters = new string([.. serviceId.Where(char.IsAsciiLetterOrDigit).Select(char.ToLowerInvariant)]);
        var prefix = "mc" + letters;
        return prefix[..Math.Min(prefix.Length, 48)] + "-retry";
    }

    public string PartitionOf(string domain) => $"{_partitionPrefix}{Fnv1a(domain.ToLowerInvariant()) % (uint)_partitions}";

    public async Task AddAsync(RetryEntry entry, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        var partition = PartitionOf(entry.Domain);
        await EnsureCreatedAsync(partition, cancellationToken);
        var (message, blob) = RetryEntryCodec.Encode(entry);
        if (blob is not null)
        {
            // Content first: a queue message never names a blob that is not there.
            await CallAsync("add", () => _blobs.GetBlobClient(EntryBlob(entry.Id)).UploadAsync(blob, overwrite: true, cancellationToken));
        }
        var receipt = await CallAsync("add", () => _queues.GetQueueClient(partition).SendMessageAsync(
            message, Visibility(dueAt), TimeSpan.FromSeconds(-1), cancellationToken));
        await IndexAsync(entry, partition, receipt.Value.MessageId, receipt.Value.PopReceipt, "queued", cancellationToken);
    }

    public async Task<IReadOnlyList<string>> PartitionsAsync(CancellationToken cancellationToken) =>
        await CallAsync("list", async () =>
        {
            var names = new List<string>();
            await foreach (var queue in _queues.GetQueuesAsync(prefix: _partitionPrefix, cancellationToken: cancellationToken))
            {
                names.Add(queue.Name);
            }
            return names;
        });

    public async Task<IReadOnlyList<ReceivedEntry>> ReceiveAsync(string partition, int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        var messages = await CallAsync("receive", () => _queues.GetQueueClient(partition).ReceiveMessagesAsync(Math.Clamp(max, 1, 32), lease, cancellationToken));
        var received = new List<ReceivedEntry>(messages.Value.Length);
        foreach (var message in messages.Value)
        {
            var entry = await RetryEntryCodec.DecodeAsync(message.Body, async id =>
                (await CallAsync("receive", () => _blobs.GetBlobClient(EntryBlob(id)).DownloadContentAsync(cancellationToken))).Value.Content);
            received.Add(new AzureReceivedEntry(entry, partition, message.MessageId, message.PopReceipt, message.DequeueCount, message.Body));
        }
        return received;
    }

    public Task<bool> ExtendAsync(ReceivedEntry received, TimeSpan lease, CancellationToken cancellationToken) =>
        UpdateAsync("extend", received, null, lease, cancellationToken);

    public async Task<bool> RescheduleAsync(ReceivedEntry received, RetryEntry updated, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        var azure = (AzureReceivedEntry)received;
        var body = RetryEntryCodec.Rewrite(azure.Body, updated);
        if (!await UpdateAsync("reschedule", received, body, Visibility(dueAt), cancellationToken))
        {
            return false;
        }
        azure.Body = body;
        var attempted = updated.Attempts != received.Entry.Attempts;
        received.Entry = updated;
        // After an attempt (not after a hold: holds of a suspended site are many, and the index is approximate).
        if (attempted)
        {
            await IndexAsync(updated, received.Partition, received.MessageId, received.PopReceipt, "deferred", cancellationToken);
        }
        return true;
    }

    public async Task<bool> DeleteAsync(ReceivedEntry received, CancellationToken cancellationToken)
    {
        try
        {
            await CallAsync("delete", () => _queues.GetQueueClient(received.Partition).DeleteMessageAsync(received.MessageId, received.PopReceipt, cancellationToken));
        }
        catch (RequestFailedException e) when (IsLost(e))
        {
            return false;
        }
        if (((AzureReceivedEntry)received).InBlob)
        {
            await CallAsync("delete", () => _blobs.GetBlobClient(EntryBlob(received.Entry.Id)).DeleteIfExistsAsync(cancellationToken: cancellationToken));
        }
        await BestEffortIndexAsync(() => _index.DeleteEntityAsync(IndexKey(received.Entry.Domain), received.Entry.Id, ETag.All, cancellationToken));
        return true;
    }

    public async Task<bool> TryClaimDsnAsync(string entryId, int attempt, CancellationToken cancellationToken)
    {
        await EnsureContainerAsync(cancellationToken);
        try
        {
            await CallAsync("dsn", () => _blobs.GetBlobClient(DsnBlob(entryId, attempt)).UploadAsync(
                BinaryData.FromString(_time.GetUtcNow().ToString("O")),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken));
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task ReleaseDsnAsync(string entryId, int attempt, CancellationToken cancellationToken) =>
        await CallAsync("dsn", () => _blobs.GetBlobClient(DsnBlob(entryId, attempt)).DeleteIfExistsAsync(cancellationToken: cancellationToken));

    public async Task DeadLetterAsync(ReceivedEntry received, string reason, CancellationToken cancellationToken)
    {
        await EnsureContainerAsync(cancellationToken);
        await EnsureCreatedAsync(_deadLetterQueue, cancellationToken);
        var entry = received.Entry;
        // The whole entry, content included, as one blob; the dead-letter queue lists them with the reason.
        var (message, blob) = RetryEntryCodec.Encode(entry);
        await CallAsync("deadletter", () => _blobs.GetBlobClient($"dead/{entry.Id}").UploadAsync(blob ?? message, overwrite: true, cancellationToken));
        var note = BinaryData.FromString(System.Text.Json.JsonSerializer.Serialize(new { entry.Id, entry.Domain, QueueId = entry.Message.QueueId, Reason = reason, Blob = $"dead/{entry.Id}", At = _time.GetUtcNow() }));
        await CallAsync("deadletter", () => _queues.GetQueueClient(_deadLetterQueue).SendMessageAsync(note, TimeSpan.Zero, TimeSpan.FromSeconds(-1), cancellationToken));
    }

    public async Task<IReadOnlyDictionary<string, int>> CountByDomainAsync(CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        await EnsureIndexAsync(cancellationToken);
        await CallAsync("index", async () =>
        {
            await foreach (var row in _index.QueryAsync<TableEntity>($"PartitionKey ne '{TombstonePartition}'", select: ["PartitionKey"], cancellationToken: cancellationToken))
            {
                counts[row.PartitionKey] = counts.GetValueOrDefault(row.PartitionKey) + 1;
            }
            return counts.Count;
        });
        return counts;
    }

    public async Task<IReadOnlyDictionary<string, long>> ApproximateCountsAsync(CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var partition in await PartitionsAsync(cancellationToken))
        {
            var properties = await CallAsync("count", () => _queues.GetQueueClient(partition).GetPropertiesAsync(cancellationToken));
            counts[partition] = properties.Value.ApproximateMessagesCountLong;
        }
        return counts;
    }

    public async Task AddTombstoneAsync(RetryTombstone tombstone, CancellationToken cancellationToken)
    {
        await EnsureIndexAsync(cancellationToken);
        var row = new TableEntity(TombstonePartition, $"{tombstone.At.UtcTicks:D20}-{Guid.NewGuid():N}")
        {
            ["Domain"] = tombstone.Domain,
            ["QueueId"] = tombstone.QueueId,
            ["Bounce"] = tombstone.Bounce,
            ["At"] = tombstone.At,
        };
        await CallAsync("index", () => _index.AddEntityAsync(row, cancellationToken));
        // Where the index has a current pop receipt, the entry comes due now; elsewhere at its next receive.
        var filter = tombstone.Domain is { } domain
            ? TableClient.CreateQueryFilter($"PartitionKey eq {IndexKey(domain)}")
            : TableClient.CreateQueryFilter($"QueueId eq {tombstone.QueueId}");
        await foreach (var entry in _index.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            try
            {
                await _queues.GetQueueClient(entry.GetString("Queue")).UpdateMessageAsync(
                    entry.GetString("MessageId"), entry.GetString("PopReceipt"), visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken);
            }
            catch (RequestFailedException e) when (IsLost(e))
            {
                // A stale receipt: the entry is being attempted or was rewritten; it meets the tombstone at its next receive.
            }
        }
    }

    public async Task<IReadOnlyList<RetryTombstone>> TombstonesAsync(CancellationToken cancellationToken)
    {
        await EnsureIndexAsync(cancellationToken);
        return await CallAsync("index", async () =>
        {
            var tombstones = new List<RetryTombstone>();
            await foreach (var row in _index.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {TombstonePartition}"), cancellationToken: cancellationToken))
            {
                tombstones.Add(new RetryTombstone(row.GetString("Domain"), row.GetString("QueueId"), row.GetBoolean("Bounce") ?? false, row.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue));
            }
            return (IReadOnlyList<RetryTombstone>)tombstones;
        });
    }

    private async Task<bool> UpdateAsync(string kind, ReceivedEntry received, BinaryData? body, TimeSpan visibility, CancellationToken cancellationToken)
    {
        try
        {
            var receipt = await CallAsync(kind, () => _queues.GetQueueClient(received.Partition).UpdateMessageAsync(
                received.MessageId, received.PopReceipt, body, visibility, cancellationToken));
            received.PopReceipt = receipt.Value.PopReceipt;
            return true;
        }
        catch (RequestFailedException e) when (IsLost(e))
        {
            return false;
        }
    }

    /// <summary>Another consumer owns the entry now: Azure answers 404, Azurite 3.37 400 PopReceiptMismatch.</summary>
    private static bool IsLost(RequestFailedException e) => e.Status == 404 || (e.Status == 400 && e.ErrorCode == "PopReceiptMismatch");

    private async Task IndexAsync(RetryEntry entry, string partition, string messageId, string popReceipt, string state, CancellationToken cancellationToken)
    {
        await EnsureIndexAsync(cancellationToken);
        await BestEffortIndexAsync(() => _index.UpsertEntityAsync(
            new TableEntity(IndexKey(entry.Domain), entry.Id)
            {
                ["Queue"] = partition,
                ["MessageId"] = messageId,
                ["PopReceipt"] = popReceipt,
                ["QueueId"] = entry.Message.QueueId,
                ["Recipients"] = entry.Recipients.Count,
                ["State"] = state,
            },
            TableUpdateMode.Replace,
            cancellationToken));
    }

    /// <summary>The index is approximate: a failed write is counted, and the entry stands.</summary>
    private async Task BestEffortIndexAsync(Func<Task<Response>> write)
    {
        try
        {
            await CallAsync("index", write);
        }
        catch (RequestFailedException)
        {
            // Counted by CallAsync.
        }
    }

    private async Task<T> CallAsync<T>(string kind, Func<Task<T>> call)
    {
        try
        {
            var result = await call();
            _metrics.Operation(kind, ok: true);
            return result;
        }
        catch (Exception e) when (e is RequestFailedException { Status: 404 or 409 } or RequestFailedException { Status: 400, ErrorCode: "PopReceiptMismatch" })
        {
            // A verdict, not a failure: lost ownership, or a claim already taken.
            _metrics.Operation(kind, ok: true);
            throw;
        }
        catch (Exception)
        {
            _metrics.Operation(kind, ok: false);
            throw;
        }
    }

    private Task EnsureCreatedAsync(string queue, CancellationToken cancellationToken) =>
        Once(queue, () => CallAsync("create", () => _queues.GetQueueClient(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken)), cancellationToken);

    private Task EnsureContainerAsync(CancellationToken cancellationToken) =>
        Once("~container", () => CallAsync("create", () => _blobs.CreateIfNotExistsAsync(cancellationToken: cancellationToken)), cancellationToken);

    private Task EnsureIndexAsync(CancellationToken cancellationToken) =>
        Once("~index", () => CallAsync("create", () => _index.CreateIfNotExistsAsync(cancellationToken)), cancellationToken);

    /// <summary>Creates a queue, container or table once per process; a failed creation is tried again next time.</summary>
    private async Task Once(string key, Func<Task> create, CancellationToken cancellationToken)
    {
        var lazy = _created.GetOrAdd(key, _ => new Lazy<Task>(async () =>
        {
            await create();
            if (key != "~container")
            {
                await EnsureContainerAsync(cancellationToken);
            }
        }));
        try
        {
            await lazy.Value;
        }
        catch
        {
            _created.TryRemove(new KeyValuePair<string, Lazy<Task>>(key, lazy));
            throw;
        }
    }

    private TimeSpan Visibility(DateTimeOffset dueAt)
    {
        var wait = dueAt - _time.GetUtcNow();
        // Azure allows up to 7 days; an entry due later is received early and put back (a hold).
        return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait > s_longestVisibility ? s_longestVisibility : wait;
    }

    private static string EntryBlob(string id) => $"entries/{id}";

    private static string DsnBlob(string id, int attempt) => $"dsn/{id}-{attempt}";

    /// <summary>Table keys may not hold '/', '\', '#', '?': domains do not.</summary>
    private static string IndexKey(string domain) => domain.ToLowerInvariant();

    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }
        return hash;
    }

    /// <summary>A received entry with what Azure needs to rewrite it: its current queue message.</summary>
    private sealed class AzureReceivedEntry(RetryEntry entry, string partition, string messageId, string popReceipt, long dequeueCount, BinaryData body)
        : ReceivedEntry(entry, partition, messageId, popReceipt, dequeueCount)
    {
        public BinaryData Body { get; set; } = body;

        public bool InBlob => RetryEntryCodec.Parse(Body).InBlob;
    }
}
