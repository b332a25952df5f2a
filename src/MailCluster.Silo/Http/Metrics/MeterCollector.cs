using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Numerics;
using System.Text;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// Listens to our rooms' meters ("MailCluster.*") and the runtime's ("System.Runtime") and keeps
/// every instrument's values as a Prometheus family. It knows no instrument by name, so a room
/// that adds an instrument is exported without a change here.
/// </summary>
internal sealed class MeterCollector : IDisposable
{
    private const string OurMeterPrefix = "MailCluster.";
    private const string RuntimeMeter = "System.Runtime";

    private readonly IMeterFactory _meterFactory;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, IMetricFamily> _families = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<IMetricFamily, bool> _observed = new();
    private readonly Lock _collecting = new();

    public MeterCollector(IMeterFactory meterFactory)
    {
        _meterFactory = meterFactory;
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

    /// <summary>Measurements dropped by every family at its series cap.</summary>
    public long SeriesDropped => _families.Values.Sum(f => f.SeriesDropped);

    /// <summary>
    /// Observes the observable instruments afresh and writes every family, sorted by name. One
    /// scrape at a time, so that one never clears the observed values another is writing.
    /// </summary>
    public void WriteTo(StringBuilder output)
    {
        lock (_collecting)
        {
            foreach (var family in _observed.Keys)
            {
                // Observed values are current state: a tag set the callback stopped reporting is gone.
                family.Clear();
            }
            _listener.RecordObservableInstruments();
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                family.WriteTo(output);
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Listen<T>()
        where T : struct, INumber<T> =>
        _listener.SetMeasurementEventCallback<T>(static (_, value, tags, state) =>
            ((IMetricFamily)state!).Record(double.CreateSaturating(value), tags));

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!IsExported(instrument.Meter) || InstrumentKinds.Create(instrument) is not { } created)
        {
            return;
        }
        var family = _families.GetOrAdd(created.Name, created);
        // Two instruments that map to one name are merged only when they agree on the kind.
        if (family.Type != created.Type)
        {
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
        && (meter.Name.StartsWith(OurMeterPrefix, StringComparison.Ordinal) || meter.Name == RuntimeMeter);
}
