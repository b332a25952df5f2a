using System.Diagnostics.Metrics;
using MailCluster.Delivery.Outcomes;
using MailCluster.Testing.IO;

namespace MailCluster.Delivery.Tests;

public sealed class DeliveryLogTests
{
    [Fact]
    public async Task ADiskThatTakesNothingLosesLinesCountedAndNeverThrows()
    {
        using var meters = new TestMeterFactory();
        using var metrics = new DeliveryMetrics(meters, new DomainLabel(10));
        long lost = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "mailcluster.delivery.log.lines_lost")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref lost, value));
        listener.Start();

        // /dev/full answers every write with ENOSPC, as a full filesystem does.
        var log = new DeliveryLog("/dev/full", metrics);
        await log.StartAsync(CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            log.Write(new DeliveryLogRecord(DateTimeOffset.UnixEpoch, "Delivery", $"Q{i}", "a@d.test", "d.test", null, null, null, "2.0.0", "250 ok", 1, 1, 1, null, null));
        }
        await log.DisposeAsync();

        Assert.Equal(3, Interlocked.Read(ref lost));
    }
}
