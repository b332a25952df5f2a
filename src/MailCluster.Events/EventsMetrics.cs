using System.Diagnostics.Metrics;

namespace MailCluster.Events;

/// <summary>The events room's instruments (meter <c>MailCluster.Events</c>), per sink where they can be.</summary>
public sealed class EventsMetrics : IDisposable
{
    public const string MeterName = "MailCluster.Events";

    private readonly Meter _meter;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _dropped;

    public EventsMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _delivered = _meter.CreateCounter<long>("mailcluster.events.delivered", "{event}", "Events a sink's receiver took (2xx), repeats after a failed delivery included.");
        _failures = _meter.CreateCounter<long>("mailcluster.events.failures", "{delivery}", "Deliveries of a batch that failed (not 2xx, no answer in time, refused connection); the batch is offered again.");
        _dropped = _meter.CreateCounter<long>("mailcluster.events.dropped", "{event}", "Events dropped untaken because the journal was over Events:MaxBacklogBytes.");
    }

    /// <summary>Per sink: its backlog, the age of its oldest untaken event and whether it is disabled, from the dispatcher's last look.</summary>
    /// <param name="maxBacklogBytes">The journal's bound; null (no sink) exports none.</param>
    internal void ObserveSinks(Func<IReadOnlyList<EventSinkStatus>> sinks, long? maxBacklogBytes)
    {
        _meter.CreateObservableGauge(
            "mailcluster.events.journal_limit",
            () => maxBacklogBytes is { } limit ? [new Measurement<long>(limit)] : Array.Empty<Measurement<long>>(),
            "By",
            "Events:MaxBacklogBytes: beyond it the oldest untaken events are dropped.");
        _meter.CreateObservableGauge("mailcluster.events.backlog", () => Each(sinks(), s => s.Backlog.Events), "{event}", "Events a sink has not taken yet.");
        _meter.CreateObservableGauge("mailcluster.events.backlog_bytes", () => Each(sinks(), s => s.Backlog.Bytes), "By", "Bytes of the events a sink has not taken yet (they count against the spool's room).");
        _meter.CreateObservableGauge("mailcluster.events.lag", () => Each(sinks(), s => s.Lag.TotalSeconds), "s", "Age of the oldest event a sink has not taken (0 when it has all).");
        _meter.CreateObservableGauge("mailcluster.events.sink_disabled", () => Each(sinks(), s => s.Disabled ? 1 : 0), "{sink}", "1 while a sink is disabled (its receiver answered 410 Gone) until the silo restarts.");
    }

    internal void Delivered(string sink, int events) => _delivered.Add(events, Sink(sink));

    internal void Failed(string sink) => _failures.Add(1, Sink(sink));

    internal void Dropped(int events) => _dropped.Add(events);

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<T>> Each<T>(IReadOnlyList<EventSinkStatus> sinks, Func<EventSinkStatus, T> value)
        where T : struct => sinks.Select(s => new Measurement<T>(value(s), Sink(s.Name)));

    private static KeyValuePair<string, object?> Sink(string name) => new("sink", name);
}
