using System.Globalization;
using Azure;
using Azure.Data.Tables;
using MailCluster.Spool;

namespace MailCluster.Cluster;

/// <summary>
/// The suppression list every silo of an <c>AzureStorage</c> cluster shares: an append-only log in
/// the table <c>mc&lt;ServiceId&gt;Suppressions</c>, one entity per change, partitioned by the hour
/// it was written and ordered by time within it. The cursor is the reader's own clock when it read;
/// the next read starts a margin before it, for writers whose clock runs behind (one that runs ahead
/// writes into the future, which later reads still cover); changes read twice apply idempotently.
/// The log is never compacted: a silo that starts replays all of it once (its size is the list's history).
/// </summary>
internal sealed class TableSuppressionStore(TableClient table, TimeProvider time) : ISuppressionStore
{
    /// <summary>How far before its cursor a silo reads again, for writers whose clock runs behind.</summary>
    public static readonly TimeSpan ClockMargin = TimeSpan.FromMinutes(5);

    private int _created;

    /// <summary>Azure's entity-group transactions take up to 100 entities of one partition.</summary>
    private const int BatchSize = 100;

    public async Task WriteAsync(IReadOnlyList<SuppressionEntry> entries, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken);
        var entities = entries.Select(entry =>
        {
            var at = entry.At.ToUniversalTime();
            return new TableEntity(Hour(at), $"{at.UtcTicks:D19}-{Guid.NewGuid():N}")
            {
                ["Address"] = entry.Address,
                ["Suppressed"] = entry.Suppressed,
                ["Reason"] = entry.Reason,
                ["At"] = at,
            };
        });
        foreach (var batch in entities.GroupBy(e => e.PartitionKey).SelectMany(hour => hour.Chunk(BatchSize)))
        {
            await table.SubmitTransactionAsync([.. batch.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e))], cancellationToken);
        }
    }

    public async Task<SuppressionChanges> ReadChangesAsync(string? cursor, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken);
        var readAt = time.GetUtcNow();
        // Cursor 0: nothing was read yet, so everything is read.
        var ticks = cursor is null ? 0 : long.Parse(cursor, CultureInfo.InvariantCulture);
        var since = ticks == 0 ? (DateTimeOffset?)null : new DateTimeOffset(ticks, TimeSpan.Zero) - ClockMargin;
        var filter = since is { } from
            ? TableClient.CreateQueryFilter($"PartitionKey ge {Hour(from)} and RowKey ge {from.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}")
            : null;
        var entries = new List<SuppressionEntry>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var at = entity.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue;
            entries.Add(new SuppressionEntry(entity.GetString("Address"), entity.GetBoolean("Suppressed") ?? false, entity.GetString("Reason") ?? string.Empty, at));
        }
        return new SuppressionChanges([.. entries.OrderBy(e => e.At)], readAt.UtcTicks.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Hours sort as text: 2026113012.</summary>
    private static string Hour(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _created) == 0)
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
            Volatile.Write(ref _created, 1);
        }
    }
}
