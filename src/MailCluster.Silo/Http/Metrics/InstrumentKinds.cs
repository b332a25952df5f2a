using System.Diagnostics.Metrics;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>How an <see cref="Instrument"/>'s measurements become a Prometheus series.</summary>
internal enum InstrumentKind
{
    /// <summary><c>Counter&lt;T&gt;</c>: increments, summed into a counter.</summary>
    SummedCounter,

    /// <summary><c>ObservableCounter&lt;T&gt;</c>: the cumulative value, read at scrape time into a counter.</summary>
    ObservedCounter,

    /// <summary><c>UpDownCounter&lt;T&gt;</c>: increments, summed into a gauge.</summary>
    SummedGauge,

    /// <summary>Gauges and observable up-down counters: the current value replaces the last.</summary>
    SetGauge,

    Histogram,
}

internal static class InstrumentKinds
{
    public static InstrumentKind? KindOf(Instrument instrument)
    {
        if (!instrument.GetType().IsGenericType)
        {
            return null;
        }
        var kind = instrument.GetType().GetGenericTypeDefinition();
        return kind == typeof(Histogram<>) ? InstrumentKind.Histogram
            : kind == typeof(Counter<>) ? InstrumentKind.SummedCounter
            : kind == typeof(ObservableCounter<>) ? InstrumentKind.ObservedCounter
            : kind == typeof(UpDownCounter<>) ? InstrumentKind.SummedGauge
            : kind == typeof(ObservableUpDownCounter<>) || kind == typeof(ObservableGauge<>) || kind == typeof(Gauge<>) ? InstrumentKind.SetGauge
            : null;
    }

    /// <summary>The family's TYPE: <c>counter</c>, <c>gauge</c> or <c>histogram</c>.</summary>
    public static string PrometheusType(this InstrumentKind kind) => kind switch
    {
        InstrumentKind.SummedCounter or InstrumentKind.ObservedCounter => "counter",
        InstrumentKind.Histogram => "histogram",
        _ => "gauge",
    };
}
