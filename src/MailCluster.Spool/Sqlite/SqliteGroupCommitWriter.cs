using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>
/// The single writer of the embedded spool. Callers hand it writes (new messages, claims,
/// delivery outcomes); it takes every write waiting (up to a batch), applies them in one
/// transaction and commits once, so one fsync (WAL, synchronous=FULL) makes the whole batch
/// durable. Each caller is released only then.
/// </summary>
internal sealed class SqliteGroupCommitWriter : IAsyncDisposable
{
    private readonly Channel<PendingWrite> _pending;
    private readonly Func<SqliteConnection> _openConnection;
    private readonly Action<SqliteConnection> _afterCommit;
    private readonly SpoolOptions _options;
    private readonly SpoolMetrics _metrics;
    private readonly TimeProvider _time;
    private Task _loop = Task.CompletedTask;
    private SqliteConnection? _connection;
    private SqliteStatements? _statements;
    private volatile string? _unhealthyReason;

    /// <param name="afterCommit">Upkeep on the writer's connection after each commit (space, late claim voiding); its failures never fail the committed batch.</param>
    public SqliteGroupCommitWriter(Func<SqliteConnection> openConnection, Action<SqliteConnection> afterCommit, SpoolOptions options, SpoolMetrics metrics, TimeProvider time)
    {
        _openConnection = openConnection;
        _afterCommit = afterCommit;
        _options = options;
        _metrics = metrics;
        _time = time;
        _pending = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(options.MaxPendingMessages)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>
    /// Starts the one writer loop on a thread of its own (LongRunning); its owner calls this once and awaits the
    /// loop by disposing the writer. Its own thread because a commit blocks in SQLite and fsync for a
    /// millisecond or more, hundreds of times a second: on a thread-pool worker that would take one
    /// of the pool's few workers (two on two cores) from the sessions most of the time.
    /// </summary>
    public void Start() =>
        _loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public string? UnhealthyReason => _unhealthyReason;

    /// <summary>Runs <paramref name="apply"/> inside the next batch transaction; completes after its commit.</summary>
    public async ValueTask<T> WriteAsync<T>(Func<SqliteBatch, T> apply, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite<T>(apply);
        await _pending.Writer.WriteAsync(pending, cancellationToken);
        return await pending.Result.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _loop;
        _connection?.Dispose();
    }

    private void Run()
    {
        Thread.CurrentThread.Name = "spool writer";
        var batch = new List<PendingWrite>(_options.MaxBatchSize);
        var reader = _pending.Reader;
        // Waits by blocking this thread, which has nothing else to do.
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            Commit(batch);
            batch.Clear();
        }
    }

    private void Commit(List<PendingWrite> batch)
    {
        var started = _time.GetTimestamp();
        var applied = new List<PendingWrite>(batch.Count);
        try
        {
            _connection ??= _openConnection();
            _statements ??= new SqliteStatements(_connection);
            if (!TryCommitTogether(batch))
            {
                CommitEachInItsSavepoint(batch, applied);
            }
            else
            {
                applied.AddRange(batch);
            }
            _unhealthyReason = null;
            _metrics.Committed(applied.Count, _time.GetElapsedTime(started));
            AfterCommit();
            foreach (var item in applied)
            {
                item.Complete();
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The commit itself failed (or a bug threw): nothing of the batch is stored. The writer
            // must outlive it, and the next batch starts on a fresh connection.
            _connection?.Dispose();
            _connection = null;
            _statements = null;
            var failure = exception is SqliteException sqlite
                ? SqliteFailures.Classify(sqlite)
                : new SpoolUnavailableException($"Spool commit failed: {exception.Message}", exception);
            _unhealthyReason = failure.Message;
            _metrics.CommitFailed();
            foreach (var item in batch)
            {
                item.Fail(failure);
            }
        }
    }

    /// <summary>Before the callers go on, so that the next refusal or acceptance sees this batch's space.</summary>
    private void AfterCommit()
    {
        try
        {
            _afterCommit(_connection!);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The batch is durable: upkeep failing now must not report it as failed (a sender would
            // send it again). The next commit tries again.
        }
    }

    /// <summary>The fast path: every write of the batch in one transaction. False (rolled back) when one of them failed.</summary>
    private bool TryCommitTogether(List<PendingWrite> batch)
    {
        using var transaction = _connection!.BeginTransaction();
        var context = new SqliteBatch(_statements!, transaction);
        try
        {
            foreach (var item in batch)
            {
                item.Apply(context);
            }
        }
        catch (SqliteException exception) when (SqliteFailures.IsConfinedToOneWrite(exception))
        {
            transaction.Rollback();
            return false;
        }
        transaction.Commit();
        return true;
    }

    /// <summary>
    /// After a write failed: each write in its own savepoint, so the one that fails (the spool full
    /// for this message) fails alone and the rest (outcomes that free space) still commit.
    /// </summary>
    private void CommitEachInItsSavepoint(List<PendingWrite> batch, List<PendingWrite> applied)
    {
        using var transaction = _connection!.BeginTransaction();
        var context = new SqliteBatch(_statements!, transaction);
        foreach (var item in batch)
        {
            transaction.Save("item");
            try
            {
                item.Apply(context);
                transaction.Release("item");
                applied.Add(item);
            }
            catch (SqliteException exception)
            {
                transaction.Rollback("item");
                transaction.Release("item");
                item.Fail(SqliteFailures.Classify(exception));
            }
        }
        transaction.Commit();
    }

    private abstract class PendingWrite
    {
        public abstract void Apply(SqliteBatch batch);

        public abstract void Complete();

        public abstract void Fail(Exception exception);
    }

    private sealed class PendingWrite<T>(Func<SqliteBatch, T> apply) : PendingWrite
    {
        private T? _value;

        public TaskCompletionSource<T> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Apply(SqliteBatch batch) => _value = apply(batch);

        public override void Complete() => Result.TrySetResult(_value!);

        public override void Fail(Exception exception) => Result.TrySetException(exception);
    }
}
