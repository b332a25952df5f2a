using System.Diagnostics.Metrics;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>Which Prometheus family each kind of <see cref="Instrument"/> becomes.</summary>
internal static class InstrumentKinds
{
    public static IMetricFamily? Create(Instrument instrument)
    {
        if (!instrument.GetType().IsGenericType)
        {
            return null;
        }
        var kind = instrument.GetType().GetGenericTypeDefinition();
        if (kind == typeof(Histogram<>))
        {
            return new HistogramFamily(PrometheusNaming.FamilyName(instrument, "histogram"), instrument.Description, HistogramBoundaries.For(instrument));
        }
        if (kind == typeof(Counter<>))
        {
            return Scalar(instrument, "counter", sumsIncrements: true);
        }
        if (kind == typeof(ObservableCounter<>))
        {
            return Scalar(instrument, "counter", sumsIncrements: false);
        }
        if (kind == typeof(UpDownCounter<>))
        {
            return Scalar(instrument, "gauge", sumsIncrements: true);
        }
        if (kind == typeof(ObservableUpDownCounter<>) || kind == typeof(ObservableGauge<>) || kind == typeof(Gauge<>))
        {
            return Scalar(instrument, "gauge", sumsIncrements: false);
        }
        return null;
    }

    private static ScalarFamily Scalar(Instrument instrument, string type, bool sumsIncrements) =>
        new(PrometheusNaming.FamilyName(instrument, type), type, instrument.Description, sumsIncrements);
}
