using System.Buffers;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>
/// The single writer of the embedded spool. Enqueuers hand it messages; it takes every message
/// waiting (up to a batch), writes them in one transaction and commits once, so one fsync
/// (WAL, synchronous=FULL) makes the whole batch durable. Each enqueuer is released only then.
/// </summary>
internal sealed class SqliteGroupCommitWriter : IAsyncDisposable
{
    private readonly Channel<PendingMessage> _pending;
    private readonly Func<SqliteConnection> _openConnection;
    private readonly SpoolOptions _options;
    private readonly SpoolMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Task _loop;
    private SqliteConnection? _connection;
    private volatile string? _unhealthyReason;

    public SqliteGroupCommitWriter(Func<SqliteConnection> openConnection, SpoolOptions options, SpoolMetrics metrics, TimeProvider time)
    {
        _openConnection = openConnection;
        _options = options;
        _metrics = metrics;
        _time = time;
        _pending = Channel.CreateBounded<PendingMessage>(new BoundedChannelOptions(options.MaxPendingMessages)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    public string? UnhealthyReason => _unhealthyReason;

    public async ValueTask WriteAsync(SpoolEnvelope envelope, ReadOnlySequence<byte> content, CancellationToken cancellationToken)
    {
        var pending = new PendingMessage(envelope, content);
        await _pending.Writer.WriteAsync(pending, cancellationToken);
        await pending.Committed.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _loop;
        _connection?.Dispose();
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingMessage>(_options.MaxBatchSize);
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            Commit(batch);
            batch.Clear();
        }
    }

    private void Commit(List<PendingMessage> batch)
    {
        var started = _time.GetTimestamp();
        try
        {
            _connection ??= _openConnection();
            using (var transaction = _connection.BeginTransaction())
            {
                var insert = new SqliteMessageInsert(_connection, transaction);
                foreach (var item in batch)
                {
                    insert.Insert(item.Envelope, item.Content);
                }
                transaction.Commit();
            }
            _unhealthyReason = null;
            _metrics.Committed(batch.Count, _time.GetElapsedTime(started));
            foreach (var item in batch)
            {
                item.Committed.TrySetResult();
            }
        }
        catch (Exception exception) when (exception is SqliteException or IOException or InvalidOperationException)
        {
            // Start the next batch on a fresh connection: this one may be in a failed state.
            _connection?.Dispose();
            _connection = null;
            var failure = exception is SqliteException sqlite
                ? SqliteFailures.Classify(sqlite)
                : new SpoolUnavailableException($"Spool commit failed: {exception.Message}", exception);
            _unhealthyReason = failure.Message;
            _metrics.CommitFailed();
            foreach (var item in batch)
            {
                item.Committed.TrySetException(failure);
            }
        }
    }

    private sealed class PendingMessage(SpoolEnvelope envelope, ReadOnlySequence<byte> content)
    {
        public SpoolEnvelope Envelope { get; } = envelope;

        public ReadOnlySequence<byte> Content { get; } = content;

        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
