using MailCluster.Spool;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Spool.Tests;

public sealed class SpoolHeadroomTests
{
    private const long MiB = 1 << 20;

    private readonly FakeTimeProvider _time = new();
    private readonly List<string?> _changes = [];
    private DiskSpace _disk = new(100 * MiB, 1000 * MiB);
    private int _measurements;

    [Theory]
    [InlineData(0, 50 * MiB, 1000 * MiB, 100 * MiB)] // two maximum-size messages
    [InlineData(0, 1 * MiB, 1000 * MiB, 10 * MiB)] // 1% of the filesystem
    [InlineData(3 * MiB, 50 * MiB, 1000 * MiB, 3 * MiB)] // Spool:MinFreeBytes wins when set
    public void TheReserveIsTheOptionOrTheLargerOfTwoMessagesAndOnePercent(long option, long largestMessage, long total, long expected)
    {
        _disk = new DiskSpace(total, total);

        var headroom = Create(new SpoolOptions { MinFreeBytes = option }, largestMessage);

        Assert.Equal(expected, headroom.Reserve);
    }

    [Fact]
    public void UnderASizeCapTheAutomaticReserveIsOnePercentOfTheCapNotOfTheFilesystem()
    {
        _disk = new DiskSpace(500_000 * MiB, 500_000 * MiB);

        var headroom = Create(new SpoolOptions { MaxSizeBytes = 1000 * MiB }, largestMessage: 1 * MiB);

        Assert.Equal(10 * MiB, headroom.Reserve);
    }

    [Fact]
    public void NewMailIsRefusedOnlyWhenItWouldCutIntoTheReserve()
    {
        var headroom = Create(new SpoolOptions { MinFreeBytes = 10 * MiB });

        Assert.Null(headroom.Refuses(90 * MiB));
        Assert.Equal(
            $"a message of {(90 * MiB) + 1} bytes would leave less than the reserve of {10 * MiB} bytes free ({100 * MiB} bytes free)",
            headroom.Refuses((90 * MiB) + 1));
        Assert.Empty(_changes);
    }

    [Fact]
    public void ADsnTakesRoomAndMayUseHalfTheReserveButNoMore()
    {
        // 100 MiB free, a reserve of 10 MiB: a DSN's bytes count twice (log, then database).
        var headroom = Create(new SpoolOptions { MinFreeBytes = 10 * MiB });

        Assert.Null(headroom.TryTakeForDsn(47 * MiB));
        Assert.NotNull(headroom.Refuses(0));
        Assert.Equal(
            $"a DSN of {2 * MiB} bytes would leave less than half the reserve of {10 * MiB} bytes free ({6 * MiB} bytes free)",
            headroom.TryTakeForDsn(2 * MiB));
        headroom.Return(47 * MiB);
        Assert.Null(headroom.Refuses(0));
    }

    [Fact]
    public void FreeSpaceIsMeasuredAtMostOnceASecond()
    {
        var headroom = Create(new SpoolOptions { MinFreeBytes = 10 * MiB });
        _disk = new DiskSpace(5 * MiB, 1000 * MiB);

        Assert.Null(headroom.Refuses(0));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Null(headroom.Refuses(0));
        Assert.Equal(1, _measurements);

        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal($"the spool's filesystem has {5 * MiB} bytes free, below the reserve of {10 * MiB} bytes (Spool:MinFreeBytes)", headroom.Refuses(0));
        Assert.Equal(2, _measurements);
    }

    [Fact]
    public void EachCommitMeasuresAgainAndTellsWhenRefusingStartsAndStops()
    {
        var headroom = Create(new SpoolOptions { MinFreeBytes = 10 * MiB });

        _disk = new DiskSpace(5 * MiB, 1000 * MiB);
        headroom.DatabaseMeasured(90 * MiB);
        headroom.DatabaseMeasured(91 * MiB);
        _disk = new DiskSpace(50 * MiB, 1000 * MiB);
        headroom.DatabaseMeasured(40 * MiB);

        Assert.Collection(
            _changes,
            refusing => Assert.StartsWith("the spool's filesystem has", refusing, StringComparison.Ordinal),
            accepting => Assert.Null(accepting));
        Assert.Equal(4, _measurements);
    }

    [Fact]
    public void RoomTakenForAMessageCountsTwiceUntilTheNextMeasurementSoSessionsCannotOvershootTogether()
    {
        var headroom = Create(new SpoolOptions { MinFreeBytes = 10 * MiB });

        Assert.Null(headroom.TryTake(40 * MiB));

        Assert.Equal(20 * MiB, headroom.FreeBytes);
        Assert.Equal(
            $"a message of {(10 * MiB) + 1} bytes would leave less than the reserve of {10 * MiB} bytes free ({20 * MiB} bytes free)",
            headroom.TryTake((10 * MiB) + 1));
        headroom.Return(40 * MiB);
        Assert.Equal(100 * MiB, headroom.FreeBytes);
        Assert.Null(headroom.TryTake(40 * MiB));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(100 * MiB, headroom.FreeBytes);
    }

    [Fact]
    public void UnderASizeCapTheRoomLeftUnderTheCapCounts()
    {
        var headroom = Create(new SpoolOptions { MinFreeBytes = 10 * MiB, MaxSizeBytes = 64 * MiB });

        headroom.DatabaseMeasured(50 * MiB);

        Assert.Equal(14 * MiB, headroom.FreeBytes);
        Assert.False(headroom.IsFilesystemScarce);
        Assert.Null(headroom.Refuses(4 * MiB));
        Assert.Equal(
            $"a message of {(4 * MiB) + 1} bytes would leave less than the reserve of {10 * MiB} bytes free ({14 * MiB} bytes free)",
            headroom.Refuses((4 * MiB) + 1));
        headroom.DatabaseMeasured(60 * MiB);
        Assert.Equal($"the spool is within {4 * MiB} bytes of Spool:MaxSizeBytes ({64 * MiB}), below the reserve of {10 * MiB} bytes", headroom.Refuses(0));
    }

    [Fact]
    public void TheFilesystemIsScarceUnderTwiceTheReserve()
    {
        var headroom = Create(new SpoolOptions { MinFreeBytes = 50 * MiB });
        Assert.False(headroom.IsFilesystemScarce);

        _disk = new DiskSpace((100 * MiB) - 1, 1000 * MiB);
        headroom.DatabaseMeasured(0);

        Assert.True(headroom.IsFilesystemScarce);
    }

    private SpoolHeadroom Create(SpoolOptions options, long largestMessage = MiB) =>
        new(options, largestMessage, _time, _ => { _measurements++; return _disk; }, _changes.Add);
}
