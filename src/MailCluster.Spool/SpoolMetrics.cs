using System.Diagnostics.Metrics;

namespace MailCluster.Spool;

/// <summary>The spool's instruments (meter <c>MailCluster.Spool</c>).</summary>
public sealed class SpoolMetrics : IDisposable
{
    public const string MeterName = "MailCluster.Spool";

    private readonly Meter _meter;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitDuration;
    private readonly Counter<long> _commitFailures;

    public SpoolMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _batchSize = _meter.CreateHistogram<int>("mailcluster.spool.commit.batch_size", "{message}", "Messages made durable by one commit (group commit).");
        _commitDuration = _meter.CreateHistogram<double>("mailcluster.spool.commit.duration", "s", "Time to write and fsync one commit batch.");
        _commitFailures = _meter.CreateCounter<long>("mailcluster.spool.commit.failures", "{commit}", "Commit batches that failed; their messages were refused with 4xx.");
    }

    internal void Committed(int messages, TimeSpan duration)
    {
        _batchSize.Record(messages);
        _commitDuration.Record(duration.TotalSeconds);
    }

    internal void CommitFailed() => _commitFailures.Add(1);

    public void Dispose() => _meter.Dispose();
}
