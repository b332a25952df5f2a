using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// One metric family: its prometheus-net collectors (one per set of label names) and a table of
/// its series, keyed by their rendered labels so that a known series is found without allocating.
/// Rooms must keep their tag values bounded (a domain goes through a top-N <c>DomainLabel</c>); a
/// hard cap per family stops a misbehaving instrument from growing memory and the scrape without
/// end. A measurement never throws into the room that records it: what prometheus-net would
/// refuse (a reserved or repeated label name, a negative count) is dropped instead.
/// </summary>
internal sealed class BridgedFamily
{
    private readonly MeterBridge _bridge;
    private readonly MetricFactory _factory;
    private readonly string _help;
    private readonly double[]? _buckets;
    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Series>.AlternateLookup<ReadOnlySpan<char>> _byLabels;

    /// <param name="help">The family's HELP when the instrument has no description of its own.</param>
    public BridgedFamily(MeterBridge bridge, MetricFactory factory, string name, InstrumentKind kind, Instrument instrument, string? help = null)
    {
        _bridge = bridge;
        _factory = factory;
        Name = name;
        Kind = kind;
        _help = PrometheusText.EscapeHelp(instrument.Description is { Length: > 0 } own ? own : help ?? string.Empty);
        _buckets = kind == InstrumentKind.Histogram ? HistogramBoundaries.For(instrument) : null;
        _byLabels = _series.GetAlternateLookup<ReadOnlySpan<char>>();
        // The label-less collector first: it declares the family (HELP, TYPE) before any sample.
        Declare([]);
    }

    public string Name { get; }

    public InstrumentKind Kind { get; }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!double.IsFinite(value) || SeriesFor(tags) is not { } series)
        {
            return;
        }
        switch (Kind)
        {
            case InstrumentKind.SummedCounter when value >= 0:
                ((Counter.Child)series.Child).Inc(value);
                break;
            case InstrumentKind.ObservedCounter:
                series.Seen = _bridge.Generation;
                SetObservedCounter(series, value);
                break;
            case InstrumentKind.SummedGauge:
                ((Gauge.Child)series.Child).Inc(value);
                break;
            case InstrumentKind.SetGauge:
                series.Seen = _bridge.Generation;
                ((Gauge.Child)series.Child).Set(value);
                break;
            case InstrumentKind.Histogram:
                ((Histogram.Child)series.Child).Observe(value);
                break;
        }
    }

    /// <summary>
    /// An observed cumulative value replaces the last (the runtime reports some counts that fall,
    /// e.g. the thread pool's queue length). A lower one is a counter reset: a fresh series, which
    /// Prometheus's rate() reads as one.
    /// </summary>
    private void SetObservedCounter(Series series, double value)
    {
        if (value < ((Counter.Child)series.Child).Value)
        {
            series.Child.Remove();
            series.Child = Child(series.LabelNames, series.LabelValues);
        }
        ((Counter.Child)series.Child).IncTo(value);
    }

    /// <summary>Removes the observed series that the scrape of <paramref name="generation"/> did not report.</summary>
    public void ForgetSeriesNotSeenIn(long generation)
    {
        foreach (var (key, series) in _series)
        {
            if (series.Seen < generation && _series.TryRemove(KeyValuePair.Create(key, series)))
            {
                series.Child.Remove();
            }
        }
    }

    /// <summary>The series for these tags, or null when the family is full or prometheus-net would refuse the labels.</summary>
    private Series? SeriesFor(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var buffer = new CharBuffer(stackalloc char[256]);
        try
        {
            LabelSet.Write(tags, ref buffer);
            if (_byLabels.TryGetValue(buffer.Written, out var existing))
            {
                return existing;
            }
            var (names, values) = LabelSet.Split(tags);
            if (_series.Count >= MeterBridge.MaxSeries || !Acceptable(names))
            {
                _bridge.SeriesDropped();
                return null;
            }
            return _series.GetOrAdd(buffer.Written.ToString(), _ => new Series(names, values, Child(names, values)));
        }
        finally
        {
            buffer.Dispose();
        }
    }

    // prometheus-net throws on "__" names (reserved), repeated names (two tags that sanitize alike) and "le" on a histogram.
    private bool Acceptable(string[] names) =>
        names.All(n => !n.StartsWith("__", StringComparison.Ordinal) && !(Kind == InstrumentKind.Histogram && n == "le"))
        && names.Distinct(StringComparer.Ordinal).Count() == names.Length;

    private Counter CounterCollector(string[] labelNames) =>
        _factory.CreateCounter(Name, _help, labelNames, new CounterConfiguration { SuppressInitialValue = true });

    private Gauge GaugeCollector(string[] labelNames) =>
        _factory.CreateGauge(Name, _help, labelNames, new GaugeConfiguration { SuppressInitialValue = true });

    private Histogram HistogramCollector(string[] labelNames) =>
        _factory.CreateHistogram(Name, _help, labelNames, new HistogramConfiguration { Buckets = _buckets, SuppressInitialValue = true });

    /// <summary>The collector for one set of label names (prometheus-net returns the existing one), as a family declaration.</summary>
    private Collector Declare(string[] labelNames) => Kind switch
    {
        InstrumentKind.SummedCounter or InstrumentKind.ObservedCounter => CounterCollector(labelNames),
        InstrumentKind.Histogram => HistogramCollector(labelNames),
        _ => GaugeCollector(labelNames),
    };

    private ChildBase Child(string[] labelNames, string[] values) => Kind switch
    {
        InstrumentKind.SummedCounter or InstrumentKind.ObservedCounter => CounterCollector(labelNames).WithLabels(values),
        InstrumentKind.Histogram => HistogramCollector(labelNames).WithLabels(values),
        _ => GaugeCollector(labelNames).WithLabels(values),
    };

    /// <summary>One label set's prometheus-net child; observed ones are stamped with the scrape that last saw them.</summary>
    private sealed class Series(string[] labelNames, string[] labelValues, ChildBase child)
    {
        private long _seen;

        public string[] LabelNames { get; } = labelNames;

        public string[] LabelValues { get; } = labelValues;

        public ChildBase Child { get; set; } = child;

        public long Seen
        {
            get => Volatile.Read(ref _seen);
            set => Volatile.Write(ref _seen, value);
        }
    }
}
