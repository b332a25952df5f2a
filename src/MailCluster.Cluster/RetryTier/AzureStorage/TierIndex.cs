using Azure;
using Azure.Data.Tables;

namespace MailCluster.Cluster.RetryTier.AzureStorage;

/// <summary>
/// The table operators count and act through: a row per entry (its queue, message id and current
/// pop receipt) keyed by domain, and the operators' tombstones. Approximate: written after the
/// queue, and a failed row write does not fail the entry.
/// </summary>
internal sealed class TierIndex(TableClient table, StorageCalls calls)
{
    private const string TombstonePartition = "~tombstones";

    /// <summary>The row of an entry as it stands after an add or an attempt.</summary>
    public async Task WriteAsync(RetryEntry entry, string partition, string messageId, string popReceipt, string state, CancellationToken cancellationToken)
    {
        await EnsureAsync();
        await BestEffortAsync(() => table.UpsertEntityAsync(
            new TableEntity(Key(entry.Domain), entry.Id)
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

    public Task RemoveAsync(RetryEntry entry, CancellationToken cancellationToken) =>
        BestEffortAsync(() => table.DeleteEntityAsync(Key(entry.Domain), entry.Id, ETag.All, cancellationToken));

    public async Task<IReadOnlyDictionary<string, int>> CountByDomainAsync(CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        await EnsureAsync();
        await calls.CallAsync("index", async () =>
        {
            await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey ne '{TombstonePartition}'", select: ["PartitionKey"], cancellationToken: cancellationToken))
            {
                counts[row.PartitionKey] = counts.GetValueOrDefault(row.PartitionKey) + 1;
            }
            return counts.Count;
        });
        return counts;
    }

    /// <summary>Where each matching entry's queue message is, by the index's last word (its receipt may be stale).</summary>
    public async Task<IReadOnlyList<(string Queue, string MessageId, string PopReceipt)>> LocateAsync(RetryTombstone tombstone, CancellationToken cancellationToken)
    {
        var filter = tombstone.Domain is { } domain
            ? TableClient.CreateQueryFilter($"PartitionKey eq {Key(domain)}")
            : TableClient.CreateQueryFilter($"QueueId eq {tombstone.QueueId} and PartitionKey ne {TombstonePartition}");
        return await calls.CallAsync("index", async () =>
        {
            var found = new List<(string, string, string)>();
            await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            {
                found.Add((row.GetString("Queue"), row.GetString("MessageId"), row.GetString("PopReceipt")));
            }
            return found;
        });
    }

    public async Task AddTombstoneAsync(RetryTombstone tombstone, CancellationToken cancellationToken)
    {
        await EnsureAsync();
        var row = new TableEntity(TombstonePartition, $"{tombstone.At.UtcTicks:D20}-{Guid.NewGuid():N}")
        {
            ["Domain"] = tombstone.Domain,
            ["QueueId"] = tombstone.QueueId,
            ["Bounce"] = tombstone.Bounce,
            ["At"] = tombstone.At,
        };
        await calls.CallAsync("index", () => table.AddEntityAsync(row, cancellationToken));
    }

    /// <summary>The tombstones recorded at or after <paramref name="since"/>, oldest first; older ones are removed (best effort).</summary>
    public async Task<IReadOnlyList<RetryTombstone>> TombstonesAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await EnsureAsync();
        var (kept, expired) = await calls.CallAsync("index", async () =>
        {
            var kept = new List<RetryTombstone>();
            var expired = new List<string>();
            await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {TombstonePartition}"), cancellationToken: cancellationToken))
            {
                var tombstone = new RetryTombstone(row.GetString("Domain"), row.GetString("QueueId"), row.GetBoolean("Bounce") ?? false, row.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue);
                if (tombstone.At < since)
                {
                    expired.Add(row.RowKey);
                }
                else
                {
                    kept.Add(tombstone);
                }
            }
            return (kept, expired);
        });
        foreach (var rowKey in expired)
        {
            await BestEffortAsync(() => table.DeleteEntityAsync(TombstonePartition, rowKey, ETag.All, cancellationToken));
        }
        return kept;
    }

    private Task EnsureAsync() => calls.OnceAsync("~index", () => calls.CallAsync("create", () => table.CreateIfNotExistsAsync()));

    /// <summary>The index is approximate: a failed write is counted (by the call), and the entry stands.</summary>
    private async Task BestEffortAsync(Func<Task<Response>> write)
    {
        try
        {
            await calls.CallAsync("index", write);
        }
        catch (Exception e) when (e is RequestFailedException or StorageVerdictException)
        {
            // Counted by the call.
        }
    }

    /// <summary>Table keys may not hold '/', '\', '#', '?': domains do not.</summary>
    private static string Key(string domain) => domain.ToLowerInvariant();
}
