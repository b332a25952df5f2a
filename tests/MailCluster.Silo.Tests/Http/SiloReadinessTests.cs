using System.Buffers;
using MailCluster.Silo.Http;
using MailCluster.Spool;

namespace MailCluster.Silo.Tests.Http;

public sealed class SiloReadinessTests
{
    private readonly HealthSpool _spool = new();

    [Fact]
    public void NotReadyUntilTheListenersAreBound()
    {
        var readiness = new SiloReadiness(_spool);
        Assert.Equal("listeners not bound yet", readiness.NotReadyReason());

        readiness.MarkListening();

        Assert.Null(readiness.NotReadyReason());
    }

    [Fact]
    public void AnUnhealthySpoolMakesTheSiloNotReadyWithItsReason()
    {
        var readiness = new SiloReadiness(_spool);
        readiness.MarkListening();

        _spool.UnhealthyReason = "disk full";

        Assert.Equal("spool unhealthy: disk full", readiness.NotReadyReason());
    }

    [Fact]
    public void ASpoolBelowItsReserveMakesTheSiloNotReady()
    {
        var readiness = new SiloReadiness(_spool);
        readiness.MarkListening();

        _spool.Disk = new DiskSpace((2 << 20) - 1, 1L << 30);

        Assert.Equal(
            "refusing new mail: a message of 1048576 bytes would leave less than the reserve of 1048576 bytes free (2097151 bytes free)",
            readiness.NotReadyReason());
    }

    [Fact]
    public void DrainingWinsOverEverythingElse()
    {
        var readiness = new SiloReadiness(_spool);
        readiness.MarkListening();

        readiness.MarkDraining();

        Assert.True(readiness.IsDraining);
        Assert.Equal("draining", readiness.NotReadyReason());
    }

    /// <summary>Only the health and the room of a spool matter to readiness.</summary>
    private sealed class HealthSpool : ISpoolIntake
    {
        public string? UnhealthyReason { get; set; }

        public DiskSpace Disk { get; set; } = new(1L << 40, 1L << 41);

        public SpoolHeadroom Headroom => new(new SpoolOptions { MinFreeBytes = 1 << 20 }, 1 << 20, TimeProvider.System, _ => Disk, _ => { });

        public ValueTask EnqueueAsync(SpoolEnvelope envelope, SpoolContent content, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
