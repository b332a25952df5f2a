using MailCluster.Testing.Spool;
using System.Diagnostics.Metrics;
using MailCluster.Spool;
using MailCluster.Spool.Sqlite;
using MailCluster.Testing.IO;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Spool.Tests;

public sealed class SqliteSpoolTests : SpoolConformanceTests, IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly TestMeterFactory _meters = new();

    private SpoolOptions Options { get; } = new() { BusyTimeout = TimeSpan.FromSeconds(1) };

    private protected override ISpool Open()
    {
        Options.Path = _directory.Path;
        return TestSpool.Open(Options, _meters, new FakeTimeProvider());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _meters.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task WaitingMessagesShareOneCommit()
    {
        var batches = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this test's spool: other test classes commit to spools of their own in parallel.
            if (instrument.Name == "mailcluster.spool.commit.batch_size" && instrument.Meter.Scope == _meters)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => { lock (batches) { batches.Add(value); } });
        listener.Start();

        await using var spool = Open();
        // arrange: another process holds the write lock, so the writer's first batch waits and the rest queue up
        await using var blocker = await HoldWriteLockAsync();
        var writes = Enumerable.Range(0, 200).Select(i => spool.EnqueueAsync(Envelope($"r{i}@d.test"), Content("x\r\n"), CancellationToken.None).AsTask()).ToArray();
        await Task.Yield();
        // act
        await blocker.Transaction.RollbackAsync();
        await Task.WhenAll(writes);
        // assert: 200 messages, a handful of commits
        lock (batches)
        {
            Assert.Equal(200, batches.Sum());
            Assert.True(batches.Count <= 3, $"expected group commit, saw batches [{string.Join(',', batches)}]");
        }
    }

    [Fact]
    public async Task TheWriterCommitsOnAThreadOfItsOwnNotOnAThreadPoolWorker()
    {
        // arrange: a spool's file (its schema), then a writer on it alone
        await Open().DisposeAsync();
        var path = Path.Combine(_directory.Path, SqliteSpool.DatabaseFile);
        var writer = new SqliteGroupCommitWriter(
            () =>
            {
                var connection = new SqliteConnection($"Data Source={path}");
                connection.Open();
                return connection;
            },
            _ => { },
            Options,
            new SpoolMetrics(_meters),
            new FakeTimeProvider());
        writer.Start();
        await using (writer)
        {
            // act: two batches, the second after the writer waited for work
            var first = await writer.WriteAsync(_ => Thread.CurrentThread, CancellationToken.None);
            var second = await writer.WriteAsync(_ => Thread.CurrentThread, CancellationToken.None);
            // assert: a commit blocks in SQLite and fsync, so it must not hold one of the pool's few workers
            Assert.False(first.IsThreadPoolThread);
            Assert.Same(first, second);
        }
    }

    [Fact]
    public async Task LockedDatabaseFailsTheCommitAndTheSpoolRecoversAfter()
    {
        await using var spool = Open();
        await using (await HoldWriteLockAsync())
        {
            var failed = Envelope("a@d.test");
            await Assert.ThrowsAsync<SpoolUnavailableException>(() => spool.EnqueueAsync(failed, Content("x\r\n"), CancellationToken.None).AsTask());
            Assert.NotNull(spool.UnhealthyReason);
        }
        var next = Envelope("b@d.test");
        await spool.EnqueueAsync(next, Content("y\r\n"), CancellationToken.None);
        Assert.Null(spool.UnhealthyReason);
        Assert.Equal(new SpoolCounts(1, 1, 0), await spool.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SizeCapMakesTheSpoolFullWithoutStoringThePartialMessage()
    {
        Options.MaxSizeBytes = 1024 * 1024;
        await using var spool = Open();
        var body = Content(new string('x', 100_000));
        var stored = 0;
        SpoolFullException? full = null;
        for (var i = 0; i < 20 && full is null; i++)
        {
            try
            {
                await spool.EnqueueAsync(Envelope($"r{i}@d.test"), body, CancellationToken.None);
                stored++;
            }
            catch (SpoolFullException exception)
            {
                full = exception;
            }
        }
        Assert.NotNull(full);
        Assert.InRange(stored, 5, 10);
        Assert.Equal(stored, (await spool.CountAsync(CancellationToken.None)).Messages);
        // A small message still fits: the failure was about space, not a broken spool; and a large
        // one that does not fit fails alone, even when it shares a commit with the small one.
        var large = spool.EnqueueAsync(Envelope("large@d.test"), Content(new string('y', 900_000)), CancellationToken.None).AsTask();
        var small = spool.EnqueueAsync(Envelope("small@d.test"), Content("x\r\n"), CancellationToken.None).AsTask();
        await Assert.ThrowsAsync<SpoolFullException>(() => large);
        await small;
        Assert.Equal(stored + 1, (await spool.CountAsync(CancellationToken.None)).Messages);
    }

    [Fact]
    public async Task DeliveredMailGivesItsSpaceBackToTheFilesystemWhileSpaceIsScarce()
    {
        // arrange: 3 MiB free against a 2 MiB reserve is scarce (under twice the reserve)
        Options.Path = _directory.Path;
        Options.MinFreeBytes = 2 << 20;
        var time = new FakeTimeProvider(s_now);
        await using var spool = TestSpool.Open(Options, _meters, time, _ => new DiskSpace(3 << 20, 1L << 30));
        for (var i = 0; i < 40; i++)
        {
            await spool.EnqueueAsync(Envelope($"r{i}@d.test"), Content(new string('x', 200_000)), CancellationToken.None);
        }
        var full = SpoolFileBytes();

        // act: everything is delivered
        var claimed = await spool.ClaimDueAsync("d.test", s_now.AddDays(1), 100, except: null, CancellationToken.None);
        await spool.RecordOutcomesAsync(claimed.Select(r => new RecipientOutcome(r.Id, OutcomeAction.Delivered)).ToList(), CancellationToken.None);

        // assert: the database and its log shrank on disk, not just inside SQLite's free list
        Assert.Equal(40, claimed.Count);
        Assert.True(full > 8_000_000, $"40 messages of 200 kB took only {full} bytes");
        Assert.True(SpoolFileBytes() < 1_000_000, $"{SpoolFileBytes()} bytes still on disk after delivering everything ({full} before)");
    }

    [Fact]
    public async Task AVersionOneSpoolIsUpgradedInPlaceKeepingItsMail()
    {
        var envelope = Envelope("a@one.test");
        await using (var spool = Open())
        {
            await spool.EnqueueAsync(envelope, Content("kept\r\n"), CancellationToken.None);
        }
        // arrange: back to what version 1 wrote: no auto-vacuum, no pool column, no event journal
        await ExecuteAsync(BackToVersionThree + "PRAGMA auto_vacuum = NONE; ALTER TABLE messages DROP COLUMN pool; VACUUM; PRAGMA user_version = 1;");

        await using var reopened = Open();

        Assert.Equal(2L, await PragmaAsync("auto_vacuum"));
        Assert.Equal(4L, await PragmaAsync("user_version"));
        Assert.Equal(new SpoolCounts(1, 1, 0), await reopened.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AVersionTwoSpoolGainsTheEgressPoolKeepingItsMail()
    {
        var old = Envelope("a@one.test");
        await using (var spool = Open())
        {
            await spool.EnqueueAsync(old, Content("kept\r\n"), CancellationToken.None);
        }
        // arrange: back to what version 2 wrote: no pool column, no event journal
        await ExecuteAsync(BackToVersionThree + "ALTER TABLE messages DROP COLUMN pool; PRAGMA user_version = 2;");

        await using var reopened = Open();
        var chosen = InPool(Envelope("b@one.test"), "bulk");
        await reopened.EnqueueAsync(chosen, Content("new\r\n"), CancellationToken.None);

        Assert.Equal(4L, await PragmaAsync("user_version"));
        Assert.Null((await reopened.GetMessageAsync(old.Message.QueueId, CancellationToken.None))!.Message.Pool);
        Assert.Equal("bulk", (await reopened.GetMessageAsync(chosen.Message.QueueId, CancellationToken.None))!.Message.Pool);
    }

    [Fact]
    public async Task AVersionThreeSpoolGainsTheEventJournalKeepingItsMail()
    {
        var old = Envelope("a@one.test");
        await using (var spool = Open())
        {
            await spool.EnqueueAsync(old, Content("kept\r\n"), CancellationToken.None);
        }
        // arrange: back to what version 3 wrote: no Message-ID or submitter columns, no event journal
        await ExecuteAsync(BackToVersionThree + "PRAGMA user_version = 3;");

        await using var reopened = Open();
        var fresh = Envelope("b@one.test");
        var reported = fresh with
        {
            Message = fresh.Message with { MessageIdHeader = "<1@client.test>", Submitter = "bulk" },
            Events = [new SpoolEvent(s_now, "{\"type\":\"Reception\"}"u8.ToArray())],
        };
        await reopened.EnqueueAsync(reported, Content("new\r\n"), CancellationToken.None);

        Assert.Equal(4L, await PragmaAsync("user_version"));
        Assert.Null((await reopened.GetMessageAsync(old.Message.QueueId, CancellationToken.None))!.Message.MessageIdHeader);
        var stored = (await reopened.GetMessageAsync(reported.Message.QueueId, CancellationToken.None))!.Message;
        Assert.Equal(("<1@client.test>", "bulk"), (stored.MessageIdHeader, stored.Submitter));
        Assert.Single(await reopened.ReadAsync(0, 10, CancellationToken.None));
    }

    private const string BackToVersionThree =
        "ALTER TABLE messages DROP COLUMN message_id_header; ALTER TABLE messages DROP COLUMN submitter; DROP TABLE event_cursors; DROP TABLE events; ";

    /// <summary>Runs <paramref name="sql"/> as another process would: the spool's pooled connections (with their cached schema) are closed first.</summary>
    private async Task ExecuteAsync(string sql)
    {
        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory.Path, "spool.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task ClaimsOfACrashedRunAreReportedOnceAtOpen()
    {
        Options.Path = _directory.Path;
        await using (var spool = Open())
        {
            await spool.EnqueueAsync(Envelope("a@one.test", "b@one.test"), Content("x\r\n"), CancellationToken.None);
            Assert.Equal(2, (await spool.ClaimDueAsync("one.test", s_now.AddDays(1), 10, except: null, CancellationToken.None)).Count);
        }
        var reports = new List<int>();

        await using (TestSpool.Open(Options, _meters, new FakeTimeProvider(), claimsVoided: reports.Add))
        {
        }
        await using (TestSpool.Open(Options, _meters, new FakeTimeProvider(), claimsVoided: reports.Add))
        {
        }

        Assert.Equal([2], reports);
    }

    [Fact]
    public async Task AReadOfADamagedFileFailsAsTheSpoolNotAsSqlite()
    {
        await using (var spool = Open())
        {
            await spool.EnqueueAsync(Envelope("a@one.test"), Content("x\r\n"), CancellationToken.None);
        }
        SqliteConnection.ClearAllPools();
        var file = Path.Combine(_directory.Path, "spool.db");
        File.Delete(file + "-wal");
        File.Delete(file + "-shm");
        await using var damaged = Open();
        await File.WriteAllBytesAsync(file, new byte[64 * 1024]);
        SqliteConnection.ClearAllPools();

        var failure = await Assert.ThrowsAnyAsync<SpoolUnavailableException>(() => damaged.CountAsync(CancellationToken.None).AsTask());

        Assert.IsType<SqliteException>(failure.InnerException);
    }

    [Fact]
    public void QueueIdsAreUniqueAndSortByTime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var generator = new QueueIdGenerator(time, new Random(1));
        var first = Enumerable.Range(0, 1000).Select(_ => generator.Next()).ToList();
        time.Advance(TimeSpan.FromMilliseconds(1));
        var later = generator.Next();
        Assert.Equal(1000, first.Distinct().Count());
        Assert.All(first, id => Assert.Matches("^[0-9A-HJKMNP-TV-Z]{20}$", id));
        Assert.True(string.CompareOrdinal(first.Max(), later) < 0);
    }

    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    private long SpoolFileBytes() => Directory.EnumerateFiles(_directory.Path, "spool.db*").Sum(file => new FileInfo(file).Length);

    private async Task<long> PragmaAsync(string name)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory.Path, "spool.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<LockHolder> HoldWriteLockAsync()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_directory.Path, "spool.db")};Pooling=False");
        await connection.OpenAsync();
        var transaction = connection.BeginTransaction(deferred: false);
        return new LockHolder(connection, transaction);
    }

    private sealed record LockHolder(SqliteConnection Connection, SqliteTransaction Transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }
}
