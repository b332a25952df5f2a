using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Suppression;
using MailCluster.Spool;
using MailCluster.Testing.IO;
using MailCluster.Testing.Spool;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Silo.Tests.Ingress;

/// <summary>
/// What the session host's parts stand on in a test: a SQLite spool in a temp directory on a fake
/// clock and a disk whose free space the test sets, this silo's suppression list, meters, and the
/// delivery trigger a commit pulls.
/// </summary>
internal sealed class IngressTestBed : IAsyncDisposable
{
    public const long MiB = 1 << 20;

    public IngressTestBed()
    {
        var options = new SpoolOptions { Path = Directory.Path, MinFreeBytes = 10 * MiB, BusyTimeout = TimeSpan.FromSeconds(1) };
        Spool = TestSpool.Open(options, Meters, Time, _ => Disk);
        Suppressions = new SuppressionList(new FileSuppressionStore(Path.Combine(Directory.Path, FileSuppressionStore.FileName)), new SuppressionOptions(), Time, NullLogger.Instance);
    }

    public TempDirectory Directory { get; } = new();

    public TestMeterFactory Meters { get; } = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero));

    public DeliveryTrigger Delivery { get; } = new();

    public ISpool Spool { get; }

    public SuppressionList Suppressions { get; }

    /// <summary>Free and total space; the spool measures again once the clock has moved a second. 10 MiB of it is the reserve.</summary>
    public DiskSpace Disk { get; set; } = new(100 * MiB, 1000 * MiB);

    public async ValueTask DisposeAsync()
    {
        await Spool.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Delivery.Dispose();
        Suppressions.Dispose();
        Meters.Dispose();
        Directory.Dispose();
    }
}
