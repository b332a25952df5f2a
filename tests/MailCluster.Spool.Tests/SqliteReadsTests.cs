using System.Buffers;
using System.Text;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool.Sqlite;
using MailCluster.Testing.IO;
using MailCluster.Testing.Spool;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Spool.Tests;

/// <summary>The read queries on their own, over a spool database the store created and wrote.</summary>
public sealed class SqliteReadsTests : IDisposable
{
    private static readonly DateTimeOffset s_later = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();
    private readonly TestMeterFactory _meters = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _meters.Dispose();
        _directory.Dispose();
    }

    private SqliteReads Reads(SqliteOpenMode mode = SqliteOpenMode.ReadWrite) =>
        new(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory.Path, SqliteSpool.DatabaseFile), Mode = mode }.ToString(), _directory.Path);

    private ISpool OpenSpool() => TestSpool.Open(new SpoolOptions { Path = _directory.Path }, _meters, new FakeTimeProvider());

    [Fact]
    public async Task OnAnEmptySpoolEveryReadFindsNothing()
    {
        await using var spool = OpenSpool();
        var reads = Reads();

        Assert.Empty(await reads.GetDomainSummariesAsync(s_later, CancellationToken.None));
        Assert.Empty(await reads.GetDueDomainsAsync(s_later, 10, CancellationToken.None));
        Assert.Null(await reads.GetNextDueTimeAsync(CancellationToken.None));
        Assert.Null(await reads.GetMessageAsync("NOSUCH", CancellationToken.None));
        Assert.False(await reads.ReadContentAsync("NOSUCH", new ArrayBufferWriter<byte>(), CancellationToken.None));
        // No state was ever written, so its table does not exist yet.
        Assert.Null(await reads.ReadStateAsync("key", CancellationToken.None));
        Assert.Equal(new SpoolCounts(0, 0, 0), await reads.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ReadsSeeWhatTheWriterCommitted()
    {
        await using var spool = OpenSpool();
        var message = new SpoolMessage("READ0001", "sender@client.test", new DateTimeOffset(2026, 11, 23, 1, 0, 0, TimeSpan.Zero), 0, null, DsnReturn.Headers, SmtpUtf8: false, EightBitMime: false);
        await spool.EnqueueAsync(
            new SpoolEnvelope(message, [new EnvelopeRecipient("a@one.test", "one.test", DsnNotify.Failure, null)]),
            new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("Subject: x\r\n\r\nbody\r\n")),
            CancellationToken.None);
        var reads = Reads();

        Assert.Equal(["one.test"], await reads.GetDueDomainsAsync(s_later, 10, CancellationToken.None));
        var queued = await reads.GetMessageAsync("READ0001", CancellationToken.None);
        Assert.Equal("a@one.test", Assert.Single(queued!.Recipients).Recipient.Address);
        var content = new ArrayBufferWriter<byte>();
        Assert.True(await reads.ReadContentAsync("READ0001", content, CancellationToken.None));
        Assert.Equal("Subject: x\r\n\r\nbody\r\n", Encoding.ASCII.GetString(content.WrittenSpan));
        var statistics = await reads.GetStatisticsAsync(CancellationToken.None);
        Assert.Equal(new SpoolCounts(1, 1, 0), statistics.Counts);
        Assert.True(statistics.StorageBytes > 0);
    }

    [Fact]
    public async Task ASqliteFailureComesOutAsTheSpoolsOwn()
    {
        // No database was created: opening it read-only fails.
        var failure = await Assert.ThrowsAsync<SpoolUnavailableException>(() => Reads(SqliteOpenMode.ReadOnly).CountAsync(CancellationToken.None).AsTask());

        Assert.StartsWith("Spool read failed", failure.Message, StringComparison.Ordinal);
    }
}
