using System.Diagnostics.Metrics;
using System.Text;
using Prometheus;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// The silo's metrics as prometheus-net serves them: its own registry (never the static default,
/// so several silos in one process do not collide), the bridge from our rooms' meters, and the
/// process metrics. Both are brought up to date before each scrape.
/// </summary>
internal sealed class SiloMetrics : IDisposable
{
    private readonly MeterBridge _bridge;

    public SiloMetrics(IMeterFactory meterFactory)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        // The default factory stamps trace ids from Activity.Current on samples; nothing here is traced.
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _bridge = new MeterBridge(meterFactory, factory);
        var process = new ProcessMetrics(factory);
        Registry.AddBeforeCollectCallback(_bridge.ObserveNow);
        Registry.AddBeforeCollectCallback(process.Update);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>One scrape as text, as <c>/metrics</c> would serve it.</summary>
    public async Task<string> ScrapeAsync(ExpositionFormat format = ExpositionFormat.PrometheusText)
    {
        using var output = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(output, format);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    public void Dispose() => _bridge.Dispose();
}
