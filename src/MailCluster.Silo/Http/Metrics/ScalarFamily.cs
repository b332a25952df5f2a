using System.Text;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// A counter or gauge family. Synchronous counters and up-down counters report increments,
/// which are summed; gauges and observable instruments report the current value, which replaces
/// the last one.
/// </summary>
internal sealed class ScalarFamily(string name, string type, string? help, bool sumsIncrements)
    : MetricFamily<ScalarFamily.Value>(name, type, help)
{
    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (Series(tags) is not { } series)
        {
            return;
        }
        if (sumsIncrements)
        {
            series.Add(value);
        }
        else
        {
            series.Set(value);
        }
    }

    protected override Value CreateSeries() => new();

    protected override void WriteSeries(StringBuilder output, string labels, Value series) =>
        PrometheusText.AppendSample(output, Name, labels, series.Current);

    internal sealed class Value
    {
        private double _value;

        public double Current => Volatile.Read(ref _value);

        public void Set(double value) => Volatile.Write(ref _value, value);

        public void Add(double increment)
        {
            var seen = Volatile.Read(ref _value);
            while (true)
            {
                var found = Interlocked.CompareExchange(ref _value, seen + increment, seen);
                if (found.Equals(seen))
                {
                    return;
                }
                seen = found;
            }
        }
    }
}
