using System.Buffers;
using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>
/// The embedded spool: one SQLite database in WAL mode with synchronous=FULL, so a commit is
/// durable when it returns. Writes go through the group-commit writer; reads use their own
/// pooled connections, which WAL lets run beside the writer.
/// </summary>
internal sealed class SqliteSpool : ISpool, ILocalStateStore
{
    private const string DatabaseFile = "spool.db";

    private readonly string _connectionString;
    private readonly SpoolOptions _options;
    private readonly SqliteAbandonedClaims _abandonedClaims;
    private readonly SqliteSpaceKeeper _space;
    private readonly SqliteGroupCommitWriter _writer;

    private SqliteSpool(string connectionString, SpoolOptions options, SpoolMetrics metrics, TimeProvider time, SpoolHeadroom headroom, SqliteAbandonedClaims abandonedClaims)
    {
        _connectionString = connectionString;
        _options = options;
        _abandonedClaims = abandonedClaims;
        _space = new SqliteSpaceKeeper(headroom, metrics);
        Headroom = headroom;
        _writer = new SqliteGroupCommitWriter(OpenWriterConnection, AfterCommit, options, metrics, time);
    }

    private void Start() => _writer.Start();

    public string? UnhealthyReason => _writer.UnhealthyReason;

    public SpoolHeadroom Headroom { get; }

    /// <summary>
    /// Opens (creating if needed) the spool under <see cref="SpoolOptions.Path"/>; SQLite recovers the WAL after a crash.
    /// A current spool opens without writing, so a full disk cannot keep the silo from starting and delivering.
    /// </summary>
    /// <param name="claimsVoided">
    /// Told how many recipients were being attempted when the previous run stopped (a crash): they are retried, and any
    /// the remote MX had already accepted will arrive twice (at-least-once delivery). Called at open, or after a later
    /// commit when the disk had no room at open.
    /// </param>
    public static SqliteSpool Open(SpoolOptions options, SpoolMetrics metrics, TimeProvider time, SpoolHeadroom headroom, Action<int> claimsVoided)
    {
        Directory.CreateDirectory(options.Path);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(options.Path, DatabaseFile),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        SqliteSchema.Prepare(connection, headroom);
        // Under a size cap the database's own pages count from the start (a read).
        SqliteSpaceKeeper.Report(connection, headroom);
        var abandonedClaims = SqliteAbandonedClaims.Read(connection, claimsVoided);
        abandonedClaims.TryVoid(connection);
        var spool = new SqliteSpool(connectionString, options, metrics, time, headroom, abandonedClaims);
        spool.Start();
        return spool;
    }

    public async ValueTask EnqueueAsync(SpoolEnvelope envelope, SpoolContent content, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.Messages.Insert(envelope, content), cancellationToken);

    public async ValueTask<IReadOnlyList<DueRecipient>> ClaimDueAsync(string domain, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.Delivery.Claim(domain, now, limit), cancellationToken);

    public async ValueTask RecordOutcomesAsync(IReadOnlyList<RecipientOutcome> outcomes, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(
            batch =>
            {
                batch.Delivery.Record(outcomes);
                return outcomes.Count;
            },
            cancellationToken);

    public async ValueTask<IReadOnlyList<DueRecipient>> ClaimSelectedAsync(RecipientSelector selector, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.Delivery.Claim(selector), cancellationToken);

    public async ValueTask<IReadOnlyList<HandOffRecipient>> ClaimForHandOffAsync(int minAttempts, int limit, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.Delivery.ClaimForHandOff(minAttempts, limit), cancellationToken);

    public async ValueTask<int> RescheduleAsync(RecipientSelector selector, DateTimeOffset at, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.Delivery.Reschedule(selector, at), cancellationToken);

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
                while (await reader.ReadAsync(cancellationToken))
                {
                    message ??= SqliteEnvelopeColumns.ReadMessage(reader, 0);
                    recipients.Add(new QueuedRecipient(
                        SqliteEnvelopeColumns.ReadRecipient(reader, 8),
                        (RecipientState)reader.GetInt32(12),
                        reader.GetInt32(13),
                        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(14)),
                        reader.IsDBNull(15) ? null : reader.GetString(15)));
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

    public async ValueTask<string?> WriteStateAsync(string key, string? expectedETag, byte[] data, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.State.Write(key, expectedETag, data), cancellationToken);

    public async ValueTask<bool> DeleteStateAsync(string key, string? expectedETag, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.State.Delete(key, expectedETag), cancellationToken);

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
                var bytes = Directory.EnumerateFiles(_options.Path, DatabaseFile + "*").Sum(file => new FileInfo(file).Length);
                return new SpoolStatistics(counts, oldest, bytes);
            },
            cancellationToken);
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private SqliteConnection OpenWriterConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // WAL + FULL: every commit fsyncs the log, so a returned commit survives power loss.
            connection.Execute("PRAGMA synchronous = FULL;");
            var pageSize = connection.QueryInt64("PRAGMA page_size;");
            // Checkpoint every ~32 MiB of log rather than 4 MiB: most relayed messages are deleted again
            // within that window, so their pages are reused in the log instead of copied to the database.
            // Never more than half the reserve, so that copying the log into the database always has room.
            var checkpointPages = Math.Clamp(Headroom.Reserve / 2 / pageSize, 16, 2000);
            connection.Execute($"PRAGMA wal_autocheckpoint = {checkpointPages};");
            if (_options.MaxSizeBytes > 0)
            {
                connection.Execute($"PRAGMA max_page_count = {_options.MaxSizeBytes / pageSize};");
            }
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void AfterCommit(SqliteConnection connection)
    {
        _abandonedClaims.TryVoid(connection);
        _space.AfterCommit(connection);
    }

    /// <summary>
    /// Runs a read on its own pooled connection (WAL lets it run beside the writer). SQLite's
    /// failures become the spool's: the contract promises no other exception.
    /// </summary>
    private async ValueTask<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync(cancellationToken);
            return await read(connection);
        }
        catch (SqliteException exception)
        {
            throw SqliteFailures.Classify(exception, "read");
        }
    }
}
