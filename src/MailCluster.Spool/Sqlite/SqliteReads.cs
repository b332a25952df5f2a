using System.Buffers;
using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>
/// The spool's read queries: operators' views, the scheduler's due domains, message content and
/// stored state. Each runs on its own pooled connection, which WAL lets run beside the writer.
/// </summary>
/// <param name="spoolPath">The spool's directory, whose database files the statistics measure.</param>
internal sealed class SqliteReads(string connectionString, string spoolPath)
{
    public ValueTask<IReadOnlyList<DomainQueueSummary>> GetDomainSummariesAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<DomainQueueSummary>>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText =
                    """
                    SELECT r.domain,
                           sum(r.state = 0 AND r.next_attempt_at <= $now),
                           sum(r.state = 0 AND r.next_attempt_at > $now),
                           sum(r.state = 1),
                           min(m.received_at)
                    FROM recipients r JOIN messages m ON m.id = r.message_id
                    GROUP BY r.domain ORDER BY count(*) DESC, r.domain
                    """;
                command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var summaries = new List<DomainQueueSummary>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    summaries.Add(new DomainQueueSummary(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
                }
                return summaries;
            },
            cancellationToken);

    public ValueTask<IReadOnlyList<string>> GetDueDomainsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<string>>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText =
                    """
                    SELECT domain FROM recipients
                    WHERE state = 0 AND next_attempt_at <= $now
                    GROUP BY domain ORDER BY min(next_attempt_at) LIMIT $limit
                    """;
                command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
                command.Parameters.AddWithValue("$limit", limit);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var domains = new List<string>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    domains.Add(reader.GetString(0));
                }
                return domains;
            },
            cancellationToken);

    public ValueTask<DateTimeOffset?> GetNextDueTimeAsync(CancellationToken cancellationToken) =>
        ReadAsync<DateTimeOffset?>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT min(next_attempt_at) FROM recipients WHERE state = 0";
                return await command.ExecuteScalarAsync(cancellationToken) is long millis ? DateTimeOffset.FromUnixTimeMilliseconds(millis) : null;
            },
            cancellationToken);

    public ValueTask<QueuedMessage?> GetMessageAsync(string queueId, CancellationToken cancellationToken) =>
        ReadAsync<QueuedMessage?>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText =
                    $"""
                    SELECT {SqliteEnvelopeColumns.Message}, {SqliteEnvelopeColumns.Recipient},
                           r.state, r.attempts, r.next_attempt_at, r.last_reply
                    FROM messages m JOIN recipients r ON r.message_id = m.id
                    WHERE m.queue_id = $queue_id
                    ORDER BY r.id
                    """;
                command.Parameters.AddWithValue("$queue_id", queueId);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                SpoolMessage? message = null;
                var recipients = new List<QueuedRecipient>();
                const int Recipient = SqliteEnvelopeColumns.MessageCount;
                while (await reader.ReadAsync(cancellationToken))
                {
                    message ??= SqliteEnvelopeColumns.ReadMessage(reader, 0);
                    recipients.Add(new QueuedRecipient(
                        SqliteEnvelopeColumns.ReadRecipient(reader, Recipient),
                        (RecipientState)reader.GetInt32(Recipient + 4),
                        reader.GetInt32(Recipient + 5),
                        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(Recipient + 6)),
                        reader.IsDBNull(Recipient + 7) ? null : reader.GetString(Recipient + 7)));
                }
                return message is null ? null : new QueuedMessage(message, recipients);
            },
            cancellationToken);

    public ValueTask<bool> ReadContentAsync(string queueId, IBufferWriter<byte> destination, CancellationToken cancellationToken) =>
        ReadAsync<bool>(
            async connection =>
            {
                long rowId;
                int size;
                await using (var command = connection.CreateCommand())
                {
                    command.CommandText = "SELECT id, size FROM messages WHERE queue_id = $queue_id";
                    command.Parameters.AddWithValue("$queue_id", queueId);
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    if (!await reader.ReadAsync(cancellationToken))
                    {
                        return false;
                    }
                    (rowId, size) = (reader.GetInt64(0), checked((int)reader.GetInt64(1)));
                }
                // Incremental blob I/O straight into the caller's buffer: no intermediate array.
                using var blob = new SqliteBlob(connection, "messages", "content", rowId, readOnly: true);
                var span = destination.GetSpan(size)[..size];
                blob.ReadExactly(span);
                destination.Advance(size);
                return true;
            },
            cancellationToken);

    public ValueTask<StoredState?> ReadStateAsync(string key, CancellationToken cancellationToken) =>
        ReadAsync<StoredState?>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT version, data FROM {SqliteStateWrites.Table} WHERE key = $key";
                command.Parameters.AddWithValue("$key", key);
                try
                {
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    return await reader.ReadAsync(cancellationToken)
                        ? new StoredState(reader.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture), (byte[])reader.GetValue(1))
                        : null;
                }
                catch (SqliteException exception) when (exception.Message.Contains("no such table", StringComparison.Ordinal))
                {
                    // Nothing was ever stored: the table is made by the first write.
                    return null;
                }
            },
            cancellationToken);

    public ValueTask<SpoolCounts> CountAsync(CancellationToken cancellationToken) =>
        ReadAsync<SpoolCounts>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText =
                    """
                    SELECT (SELECT count(*) FROM messages),
                           (SELECT count(*) FROM recipients WHERE state = 0),
                           (SELECT count(*) FROM recipients WHERE state = 1)
                    """;
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                return new SpoolCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            },
            cancellationToken);

    public async ValueTask<SpoolStatistics> GetStatisticsAsync(CancellationToken cancellationToken)
    {
        var counts = await CountAsync(cancellationToken);
        return await ReadAsync<SpoolStatistics>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT min(received_at) FROM messages";
                var oldest = await command.ExecuteScalarAsync(cancellationToken) is long millis ? DateTimeOffset.FromUnixTimeMilliseconds(millis) : (DateTimeOffset?)null;
                var bytes = Directory.EnumerateFiles(spoolPath, SqliteSpool.DatabaseFile + "*").Sum(file => new FileInfo(file).Length);
                return new SpoolStatistics(counts, oldest, bytes);
            },
            cancellationToken);
    }

    /// <summary>
    /// Runs a read on its own pooled connection (WAL lets it run beside the writer). SQLite's
    /// failures become the spool's: the contract promises no other exception.
    /// </summary>
    internal async ValueTask<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            return await read(connection);
        }
        catch (SqliteException exception)
        {
            throw SqliteFailures.Classify(exception, "read");
        }
    }
}
