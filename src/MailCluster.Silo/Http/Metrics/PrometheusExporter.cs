using System.Text;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>Renders one scrape: every collected family, the exporter's own drop counter and the process metrics.</summary>
internal sealed class PrometheusExporter(MeterCollector collector)
{
    public const string SeriesDroppedName = "mailcluster_exporter_series_dropped_total";

    public string Scrape()
    {
        var output = new StringBuilder(16 * 1024);
        collector.WriteTo(output);
        PrometheusText.AppendHeader(output, SeriesDroppedName, "counter",
            $"Measurements dropped because their metric already had {IMetricFamily.MaxSeries} label sets; a room's labels are unbounded.");
        PrometheusText.AppendSample(output, SeriesDroppedName, "", collector.SeriesDropped);
        ProcessMetrics.WriteTo(output);
        return output.ToString();
    }
}
