using MailCluster.Dns;
using MailCluster.Dns.Mx;
using MailCluster.Silo.Http.Metrics;
using MailCluster.Silo.Ingress;
using MailCluster.Spool;
using MailCluster.Testing.IO;

namespace MailCluster.Silo.Tests.Http;

/// <summary>The rooms' real metrics classes on one meter factory, with an exporter listening to them.</summary>
internal sealed class RoomMetrics : IDisposable
{
    private readonly SpoolMetrics _spool;

    public RoomMetrics()
    {
        Collector = new MeterCollector(Factory);
        Exporter = new PrometheusExporter(Collector);
        Ingress = new IngressMetrics(Factory, () => 3);
        _spool = new SpoolMetrics(Factory);
        var dns = new DnsOptions();
        dns.Nameservers.Add("127.0.0.1");
        DnsResolver.Create(dns, TimeProvider.System, Random.Shared, Factory);
    }

    public TestMeterFactory Factory { get; } = new();

    public MeterCollector Collector { get; }

    public PrometheusExporter Exporter { get; }

    public IngressMetrics Ingress { get; }

    /// <summary>Some traffic, so that every kind of instrument has samples.</summary>
    public RoomMetrics WithTraffic()
    {
        Ingress.ConnectionOpened();
        Ingress.Accepted(2048, TimeSpan.FromMilliseconds(3));
        Ingress.Accepted(100_000, TimeSpan.FromMilliseconds(40));
        Ingress.Rejected(552);
        Ingress.Rejected(451);
        return this;
    }

    public void Dispose()
    {
        Collector.Dispose();
        Ingress.Dispose();
        _spool.Dispose();
        Factory.Dispose();
    }
}
