using System.Buffers;
using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>
/// The embedded spool: one SQLite database in WAL mode with synchronous=FULL, so a commit is
/// durable when it returns. Writes go through the group-commit writer; reads use their own
/// pooled connections (<see cref="SqliteReads"/>), which WAL lets run beside the writer.
/// </summary>
internal sealed class SqliteSpool : ISpool, ILocalStateStore
{
    internal const string DatabaseFile = "spool.db";

    private readonly string _connectionString;
    private readonly SpoolOptions _options;
    private readonly SqliteAbandonedClaims _abandonedClaims;
    private readonly SqliteSpaceKeeper _space;
    private readonly SqliteGroupCommitWriter _writer;
    private readonly SqliteReads _reads;
    private readonly SqliteEventReads _events;
    private readonly AppendSignal _appended = new();
    private readonly RecentContent _recent = new();

    private SqliteSpool(string connectionString, SpoolOptions options, SpoolMetrics metrics, TimeProvider time, SpoolHeadroom headroom, SqliteAbandonedClaims abandonedClaims)
    {
        _connectionString = connectionString;
        _options = options;
        _abandonedClaims = abandonedClaims;
        _space = new SqliteSpaceKeeper(headroom, metrics);
        Headroom = headroom;
        _writer = new SqliteGroupCommitWriter(OpenWriterConnection, AfterCommit, options, metrics, time);
        _reads = new SqliteReads(connectionString, options.Path);
        _events = new SqliteEventReads(_reads);
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

    public async ValueTask EnqueueAsync(SpoolEnvelope envelope, SpoolContent content, CancellationToken cancellationToken)
    {
        // Kept before the commit, so that no attempt can have taken and removed the message first.
        _recent.Remember(envelope.Message.QueueId, content);
        try
        {
            await _writer.WriteAsync(
                batch =>
                {
                    batch.Messages.Insert(envelope, content);
                    if (envelope.Events is { Count: > 0 } events)
                    {
                        batch.Events.Append(events);
                    }
                    return true;
                },
                cancellationToken);
        }
        catch
        {
            _recent.Forget(envelope.Message.QueueId);
            throw;
        }
        if (envelope.Events is { Count: > 0 })
        {
            _appended.Pulse();
        }
    }

    public async ValueTask<IReadOnlyList<DueRecipient>> ClaimDueAsync(string domain, DateTimeOffset now, int limit, PoolExclusion? except, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.Delivery.Claim(domain, now, limit, except), cancellationToken);

    public async ValueTask RecordOutcomesAsync(IReadOnlyList<RecipientOutcome> outcomes, CancellationToken cancellationToken)
    {
        var reported = HasEvents(outcomes);
        List<string> removed = [];
        await _writer.WriteAsync(
            batch =>
            {
                removed = batch.Delivery.Record(outcomes);
                if (reported)
                {
                    batch.Events.Append(outcomes);
                }
                return true;
            },
            cancellationToken);
        foreach (var queueId in removed)
        {
            _recent.Forget(queueId);
        }
        if (reported)
        {
            _appended.Pulse();
        }
    }

    public async ValueTask AppendAsync(IReadOnlyList<SpoolEvent> events, CancellationToken cancellationToken)
    {
        await _writer.WriteAsync(
            batch =>
            {
                batch.Events.Append(events);
                return true;
            },
            cancellationToken);
        _appended.Pulse();
    }

    public ValueTask<IReadOnlyList<StoredEvent>> ReadAsync(long after, int limit, CancellationToken cancellationToken) => _events.ReadAsync(after, limit, cancellationToken);

    public ValueTask<long> ReadCursorAsync(string sink, CancellationToken cancellationToken) => _events.ReadCursorAsync(sink, cancellationToken);

    public async ValueTask SaveCursorAsync(string sink, long position, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(
            batch =>
            {
                batch.Events.SaveCursor(sink, position);
                return true;
            },
            cancellationToken);

    public ValueTask<EventBacklog> BacklogAsync(long after, CancellationToken cancellationToken) => _events.BacklogAsync(after, cancellationToken);

    public async ValueTask<int> TrimAsync(long takenByAll, long maxBytes, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.Events.Trim(takenByAll, maxBytes), cancellationToken);

    public Task NextAppend() => _appended.Next();

    public async ValueTask<IReadOnlyList<DueRecipient>> ClaimSelectedAsync(RecipientSelector selector, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.Delivery.Claim(selector), cancellationToken);

    public async ValueTask<IReadOnlyList<HandOffRecipient>> ClaimForHandOffAsync(int minAttempts, int limit, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.Delivery.ClaimForHandOff(minAttempts, limit), cancellationToken);

    public async ValueTask<int> RescheduleAsync(RecipientSelector selector, DateTimeOffset at, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.Delivery.Reschedule(selector, at), cancellationToken);

    public ValueTask<IReadOnlyList<DomainQueueSummary>> GetDomainSummariesAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        _reads.GetDomainSummariesAsync(now, cancellationToken);

    public ValueTask<IReadOnlyList<string>> GetDueDomainsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        _reads.GetDueDomainsAsync(now, limit, cancellationToken);

    public ValueTask<DateTimeOffset?> GetNextDueTimeAsync(CancellationToken cancellationToken) => _reads.GetNextDueTimeAsync(cancellationToken);

    public ValueTask<QueuedMessage?> GetMessageAsync(string queueId, CancellationToken cancellationToken) => _reads.GetMessageAsync(queueId, cancellationToken);

    public ValueTask<bool> ReadContentAsync(string queueId, IBufferWriter<byte> destination, CancellationToken cancellationToken) =>
        _recent.TryTake(queueId, destination) ? ValueTask.FromResult(true) : _reads.ReadContentAsync(queueId, destination, cancellationToken);

    public ValueTask<StoredState?> ReadStateAsync(string key, CancellationToken cancellationToken) => _reads.ReadStateAsync(key, cancellationToken);

    public async ValueTask<string?> WriteStateAsync(string key, string? expectedETag, byte[] data, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.State.Write(key, expectedETag, data), cancellationToken);

    public async ValueTask<bool> DeleteStateAsync(string key, string? expectedETag, CancellationToken cancellationToken) =>
        await _writer.WriteAsync(batch => batch.State.Delete(key, expectedETag), cancellationToken);

    public ValueTask<SpoolCounts> CountAsync(CancellationToken cancellationToken) => _reads.CountAsync(cancellationToken);

    public ValueTask<SpoolStatistics> GetStatisticsAsync(CancellationToken cancellationToken) => _reads.GetStatisticsAsync(cancellationToken);

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private SqliteConnection OpenWriterConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // WAL + FULL: every commit fsyncs the log, so a returned commit survives power loss.
            connection.Execute("PRAGMA synchronous = FULL;");
            // Statement journals (a b-tree rebalance under an INSERT or DELETE, a message's pages) stay
            // in memory: past 64 KiB, two or three 16 KiB pages, SQLite otherwise moves each to a new
            // temp file, which the relay profile showed as 9% of the CPU (openat, unlink) at 1 KiB.
            connection.Execute("PRAGMA temp_store = MEMORY;");
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

    private static bool HasEvents(IReadOnlyList<RecipientOutcome> outcomes)
    {
        for (var i = 0; i < outcomes.Count; i++)
        {
            if (outcomes[i].Event is not null)
            {
                return true;
            }
        }
        return false;
    }

    private void AfterCommit(SqliteConnection connection)
    {
        _abandonedClaims.TryVoid(connection);
        _space.AfterCommit(connection);
    }
}
