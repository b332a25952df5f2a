using System.Diagnostics.Metrics;

namespace MailCluster.Spool;

/// <summary>The spool's instruments (meter <c>MailCluster.Spool</c>).</summary>
internal sealed class SpoolMetrics : IDisposable
{
    public const string MeterName = "MailCluster.Spool";

    private readonly Meter _meter;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitDuration;
    private readonly Counter<long> _commitFailures;
    private readonly Counter<long> _spaceReturnFailures;

    public SpoolMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _batchSize = _meter.CreateHistogram<int>("mailcluster.spool.commit.batch_size", "{message}", "Messages made durable by one commit (group commit).");
        _commitDuration = _meter.CreateHistogram<double>("mailcluster.spool.commit.duration", "s", "Time to write and fsync one commit batch.");
        _commitFailures = _meter.CreateCounter<long>("mailcluster.spool.commit.failures", "{commit}", "Commit batches that failed; their messages were refused with 4xx.");
        _spaceReturnFailures = _meter.CreateCounter<long>("mailcluster.spool.space_return.failures", "{step}", "Checkpoints or vacuums that failed while the filesystem was short of space (tried again after the next commit).");
    }

    internal void SpaceReturnFailed() => _spaceReturnFailures.Add(1);

    /// <summary>Exposes a statistics snapshot as gauges; nothing is reported before the first snapshot.</summary>
    public void ObserveStatistics(Func<SpoolStatistics?> latest, TimeProvider time)
    {
        _meter.CreateObservableGauge<long>("mailcluster.spool.messages", () => Values(latest(), s => s.Counts.Messages), "{message}", "Messages in the spool.");
        _meter.CreateObservableGauge<long>(
            "mailcluster.spool.recipients",
            () => latest() is { } s
                ? [new Measurement<long>(s.Counts.QueuedRecipients, new KeyValuePair<string, object?>("state", "queued")),
                   new Measurement<long>(s.Counts.InFlightRecipients, new KeyValuePair<string, object?>("state", "in_flight"))]
                : [],
            "{recipient}",
            "Recipients in the spool by state: queued (waiting for an attempt) or in_flight (being attempted).");
        _meter.CreateObservableGauge<double>(
            "mailcluster.spool.oldest_recipient_age",
            () => latest() is { OldestArrival: { } oldest } ? [new Measurement<double>((time.GetUtcNow() - oldest).TotalSeconds)] : Array.Empty<Measurement<double>>(),
            "s",
            "Age of the oldest message still in the spool.");
        _meter.CreateObservableGauge<long>("mailcluster.spool.size", () => Values(latest(), s => s.StorageBytes), "By", "Bytes the spool uses on disk.");
    }

    /// <summary>Exposes the free space the spool may still fill and the reserve it keeps.</summary>
    public void ObserveHeadroom(SpoolHeadroom headroom)
    {
        _meter.CreateObservableGauge<long>("mailcluster.spool.free", () => headroom.FreeBytes, "By", "Bytes the spool may still fill: free space on its filesystem, or less under Spool:MaxSizeBytes.");
        _meter.CreateObservableGauge<long>("mailcluster.spool.reserve", () => headroom.Reserve, "By", "Free bytes kept for outcomes, claims and checkpoints; new mail is refused with 452 4.3.1 below it.");
    }

    private static Measurement<long>[] Values(SpoolStatistics? statistics, Func<SpoolStatistics, long> value) =>
        statistics is null ? [] : [new Measurement<long>(value(statistics))];

    internal void Committed(int messages, TimeSpan duration)
    {
        _batchSize.Record(messages);
        _commitDuration.Record(duration.TotalSeconds);
    }

    internal void CommitFailed() => _commitFailures.Add(1);

    public void Dispose() => _meter.Dispose();
}
