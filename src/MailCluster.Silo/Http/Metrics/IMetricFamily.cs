using System.Text;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>What the collector and the exporter need of a family, whatever its series hold.</summary>
internal interface IMetricFamily
{
    /// <summary>Well above any bounded label set we export (top-N domains × outcomes), far below a leak.</summary>
    const int MaxSeries = 2000;

    string Name { get; }

    string Type { get; }

    long SeriesDropped { get; }

    void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    void WriteTo(StringBuilder output);

    void Clear();
}
