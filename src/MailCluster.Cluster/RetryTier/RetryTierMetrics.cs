using System.Diagnostics.Metrics;

using MailCluster.Spool;

namespace MailCluster.Cluster.RetryTier;

/// <summary>The retry tier's instruments (meter <c>MailCluster.RetryTier</c>).</summary>
public sealed class RetryTierMetrics : IDisposable
{
    public const string MeterName = "MailCluster.RetryTier";

    private readonly Meter _meter;
    private readonly Counter<long> _operations;
    private readonly Counter<long> _moved;
    private readonly Histogram<double> _receiveToAttempt;
    private readonly Counter<long> _poisoned;
    private readonly Counter<long> _holds;
    private readonly Counter<long> _lostLeases;
    private volatile IReadOnlyDictionary<string, long> _approximate = new Dictionary<string, long>();

    public RetryTierMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _operations = _meter.CreateCounter<long>("mailcluster.tier.operations", "{call}", "Calls to the retry tier's storage by kind (add, receive, extend, reschedule, delete, dsn, deadletter, index, list, count) and outcome (ok, failed).");
        _moved = _meter.CreateCounter<long>("mailcluster.tier.entries.moved", "{entry}", "Entries moved into the tier (direction in: deferred, handoff) and out of it (direction out: delivered, bounced, deleted, poison).");
        _receiveToAttempt = _meter.CreateHistogram<double>("mailcluster.tier.receive_to_attempt", "s", "Time from receiving an entry to the end of its attempt.");
        _poisoned = _meter.CreateCounter<long>("mailcluster.tier.entries.poisoned", "{entry}", "Entries received too often without an attempt recorded: bounced, and copied to the dead-letter queue.");
        _holds = _meter.CreateCounter<long>("mailcluster.tier.holds", "{entry}", "Received entries put back without an attempt (suspended domain, stopping), by reason.");
        _lostLeases = _meter.CreateCounter<long>("mailcluster.tier.lost_leases", "{entry}", "Entries another silo took over while this one held them (possible duplicate deliveries).");
        _meter.CreateObservableGauge("mailcluster.tier.entries.approximate", () =>
            _approximate.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("partition", p.Key))), "{entry}", "Entries per partition queue, as the storage approximates them.");
    }

    public void Operation(string kind, bool ok) =>
        _operations.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", ok ? "ok" : "failed"));

    public void Moved(string direction, string reason, int entries) =>
        _moved.Add(entries, new KeyValuePair<string, object?>("direction", direction), new KeyValuePair<string, object?>("reason", reason));

    public void Attempted(TimeSpan sinceReceive) => _receiveToAttempt.Record(sinceReceive.TotalSeconds);

    public void Poisoned() => _poisoned.Add(1);

    public void Held(string reason) => _holds.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void LostLease() => _lostLeases.Add(1);

    public void ApproximateEntries(IReadOnlyDictionary<string, long> perPartition) => _approximate = perPartition;

    public void Dispose() => _meter.Dispose();
}
