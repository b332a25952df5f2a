using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Numerics;
using Prometheus;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// Listens to our rooms' meters ("MailCluster.*"), the runtime's ("System.Runtime") and a few of
/// Orleans' ("Microsoft.Orleans") and feeds
/// every measurement into a prometheus-net collector of the right type. prometheus-net's own
/// MeterAdapter would export counters as gauges without <c>_total</c>; this bridge keeps them
/// counters. It knows none of our instruments by name, so a room that adds one is exported without a change here.
/// </summary>
internal sealed class MeterBridge : IDisposable
{
    /// <summary>Well above any bounded label set we export (top-N domains × outcomes), far below a leak.</summary>
    public const int MaxSeries = 2000;

    public const string SeriesDroppedName = "mailcluster_exporter_series_dropped_total";

    private const string OurMeterPrefix = "MailCluster.";
    private const string RuntimeMeter = "System.Runtime";
    private const string OrleansMeter = "Microsoft.Orleans";

    // Grain activations by type, grain-call timeouts, grain-state errors and missed membership
    // pings: whether the cluster itself is healthy. Orleans gives them no description, so the
    // HELP is ours; its millisecond histograms are left out (our own grain-call latency,
    // mailcluster_site_exchange_duration_seconds, is in seconds).
    private static readonly Dictionary<string, string> s_orleansInstruments = new(StringComparer.Ordinal)
    {
        ["orleans-catalog-activations"] = "Orleans grain activations on this silo, by grain type (domain: the site grains).",
        ["orleans-app-requests-timedout"] = "Orleans grain calls from this silo that timed out.",
        ["orleans-storage-write-errors"] = "Orleans grain state writes that failed (local spool or Azure Tables).",
        ["orleans-storage-read-errors"] = "Orleans grain state reads that failed (local spool or Azure Tables).",
        ["orleans-messaging-pings-reply-missed"] = "Orleans membership probes from this silo that got no reply.",
    };

    private readonly IMeterFactory _meterFactory;
    private readonly MetricFactory _factory;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, BridgedFamily> _families = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<BridgedFamily, bool> _observed = new();
    private readonly Counter _seriesDropped;
    private readonly Lock _observing = new();
    private long _generation;

    public MeterBridge(IMeterFactory meterFactory, MetricFactory factory)
    {
        _meterFactory = meterFactory;
        _factory = factory;
        // Not suppressed: "… 0" is there from the first scrape, so an alert can tell "no drops" from "no data".
        _seriesDropped = factory.CreateCounter(SeriesDroppedName, PrometheusText.EscapeHelp(
            $"Measurements dropped because their metric already had {MaxSeries} label sets; a room's labels are unbounded."));
        _listener.InstrumentPublished = OnInstrumentPublished;
        Listen<byte>();
        Listen<short>();
        Listen<int>();
        Listen<long>();
        Listen<float>();
        Listen<double>();
        Listen<decimal>();
        _listener.Start();
    }

    /// <summary>The scrape being prepared: observed series not reported in it are stale.</summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>
    /// Before each scrape: reads the observable instruments afresh, then forgets the observed tag
    /// sets their callbacks no longer report (observed values are current state). The families are
    /// never emptied meanwhile, so a concurrent scrape sees either the old value or the new one.
    /// </summary>
    public void ObserveNow()
    {
        lock (_observing)
        {
            var generation = Interlocked.Increment(ref _generation);
            _listener.RecordObservableInstruments();
            foreach (var family in _observed.Keys)
            {
                family.ForgetSeriesNotSeenIn(generation);
            }
        }
    }

    public void SeriesDropped() => _seriesDropped.Inc();

    public void Dispose() => _listener.Dispose();

    private void Listen<T>()
        where T : struct, INumber<T> =>
        _listener.SetMeasurementEventCallback<T>(static (_, value, tags, state) =>
            ((BridgedFamily)state!).Record(double.CreateSaturating(value), tags));

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!IsExported(instrument) || InstrumentKinds.KindOf(instrument) is not { } kind)
        {
            return;
        }
        var name = PrometheusNaming.FamilyName(instrument, kind.PrometheusType());
        BridgedFamily family;
        try
        {
            family = _families.GetOrAdd(name, _ => new BridgedFamily(this, _factory, name, kind, instrument, s_orleansInstruments.GetValueOrDefault(instrument.Name)));
        }
        catch (ArgumentException)
        {
            // prometheus-net refused the family (e.g. bucket bounds that do not increase): the
            // instrument goes unexported rather than failing the room that created it.
            SeriesDropped();
            return;
        }
        // Two instruments that map to one name are merged only when they record alike (prometheus-net
        // refuses two collector types under one name, and a counter summed and one observed would mix).
        if (family.Kind != kind)
        {
            SeriesDropped();
            return;
        }
        if (instrument.IsObservable)
        {
            _observed.TryAdd(family, true);
        }
        listener.EnableMeasurementEvents(instrument, family);
    }

    // Meters from another container's factory (a test host beside ours) are not ours to export;
    // meters without a scope (the runtime's, or a room's own when it was given no factory) are.
    private bool IsExported(Meter meter) =>
        (meter.Scope is null || ReferenceEquals(meter.Scope, _meterFactory))
        && (meter.Name.StartsWith(OurMeterPrefix, StringComparison.Ordinal) || meter.Name == RuntimeMeter || meter.Name == OrleansMeter);

    /// <summary>Ours and the runtime's whole; of Orleans' seventy-odd instruments, the few an operator of this cluster watches.</summary>
    private bool IsExported(Instrument instrument) =>
        IsExported(instrument.Meter) && (instrument.Meter.Name != OrleansMeter || s_orleansInstruments.ContainsKey(instrument.Name));
}
