using System.Text;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>A histogram family: cumulative <c>_bucket{le}</c> counts, <c>_sum</c> and <c>_count</c> per series.</summary>
internal sealed class HistogramFamily(string name, string? help, double[] upperBounds)
    : MetricFamily<HistogramFamily.Buckets>(name, "histogram", help)
{
    private readonly string[] _leLabels = [.. upperBounds.Select(b => $"le=\"{PrometheusText.FormatValue(b)}\""), "le=\"+Inf\""];

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        Series(tags)?.Record(value, upperBounds);

    protected override Buckets CreateSeries() => new(upperBounds.Length + 1);

    protected override void WriteSeries(StringBuilder output, string labels, Buckets series)
    {
        var (counts, sum) = series.Snapshot();
        var prefix = labels.Length > 0 ? labels + "," : "";
        long cumulative = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            cumulative += counts[i];
            PrometheusText.AppendSample(output, Name + "_bucket", prefix + _leLabels[i], cumulative);
        }
        PrometheusText.AppendSample(output, Name + "_sum", labels, sum);
        PrometheusText.AppendSample(output, Name + "_count", labels, cumulative);
    }

    internal sealed class Buckets(int buckets)
    {
        private readonly Lock _lock = new();
        private readonly long[] _counts = new long[buckets];
        private double _sum;

        public void Record(double value, double[] upperBounds)
        {
            // Prometheus buckets are "less than or equal": a value on a bound belongs to that bound.
            var index = Array.BinarySearch(upperBounds, value);
            var bucket = index >= 0 ? index : ~index;
            lock (_lock)
            {
                _counts[bucket]++;
                _sum += value;
            }
        }

        /// <summary>Counts and sum taken together, so that <c>_count</c> always equals the <c>+Inf</c> bucket.</summary>
        public (long[] Counts, double Sum) Snapshot()
        {
            lock (_lock)
            {
                return ((long[])_counts.Clone(), _sum);
            }
        }
    }
}
