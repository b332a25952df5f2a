using System.Collections.Concurrent;
using System.Text;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// One Prometheus metric family: its name, HELP, TYPE and one series per distinct label set.
/// Series are created as new tag combinations arrive and are never forgotten, so rooms must keep
/// their tag values bounded (a domain goes through a top-N <c>DomainLabel</c>). A hard cap per
/// family stops a misbehaving instrument from growing the silo's memory and the scrape without
/// end; what it drops is counted in <see cref="SeriesDropped"/>.
/// </summary>
internal abstract class MetricFamily<TSeries> : IMetricFamily
    where TSeries : class
{
    private readonly ConcurrentDictionary<string, TSeries> _series = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TSeries>.AlternateLookup<ReadOnlySpan<char>> _byLabels;
    private long _seriesDropped;

    protected MetricFamily(string name, string type, string? help)
    {
        Name = name;
        Type = type;
        Help = help;
        _byLabels = _series.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Name { get; }

    public string Type { get; }

    public string? Help { get; }

    public long SeriesDropped => Interlocked.Read(ref _seriesDropped);

    public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    public void WriteTo(StringBuilder output)
    {
        PrometheusText.AppendHeader(output, Name, Type, Help);
        foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            WriteSeries(output, labels, series);
        }
    }

    /// <summary>Forgets every series, for families whose values are observed afresh at each scrape.</summary>
    public void Clear() => _series.Clear();

    protected abstract TSeries CreateSeries();

    protected abstract void WriteSeries(StringBuilder output, string labels, TSeries series);

    /// <summary>The series for these tags, or null when the family is full.</summary>
    protected TSeries? Series(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var buffer = new CharBuffer(stackalloc char[256]);
        try
        {
            LabelSet.Write(tags, ref buffer);
            if (_byLabels.TryGetValue(buffer.Written, out var existing))
            {
                return existing;
            }
            if (_series.Count >= IMetricFamily.MaxSeries)
            {
                Interlocked.Increment(ref _seriesDropped);
                return null;
            }
            return _series.GetOrAdd(buffer.Written.ToString(), _ => CreateSeries());
        }
        finally
        {
            buffer.Dispose();
        }
    }
}
