using MailCluster.Cluster;
using MailCluster.Delivery.Outcomes;
using MailCluster.Dns;
using MailCluster.Dns.Mx;
using MailCluster.Silo.Http.Metrics;
using MailCluster.Silo.Ingress;
using MailCluster.Spool;
using MailCluster.Testing.IO;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Silo.Tests.Http;

/// <summary>The rooms' real metrics classes on one meter factory, with an exporter listening to them.</summary>
internal sealed class RoomMetrics : IDisposable
{
    private readonly SpoolMetrics _spool;
    private readonly ClusterMetrics _cluster;
    private readonly MailCluster.Cluster.RetryTier.RetryTierMetrics _tier;
    private readonly MailCluster.Events.EventsMetrics _events;

    public RoomMetrics()
    {
        Metrics = new SiloMetrics(Factory);
        Ingress = new IngressMetrics(Factory, () => 3);
        _spool = new SpoolMetrics(Factory);
        _spool.ObserveStatistics(() => new SpoolStatistics(new SpoolCounts(3, 5, 1), s_now.AddMinutes(-7), 1 << 20), new FakeTimeProvider(s_now));
        _spool.ObserveHeadroom(new SpoolHeadroom(new SpoolOptions { MinFreeBytes = 1 << 20 }, 1 << 20, new FakeTimeProvider(s_now), _ => new DiskSpace(1 << 30, 1L << 32), _ => { }));
        Delivery = new DeliveryMetrics(Factory, new DomainLabel(2));
        Delivery.ObserveDomains(() => [("dest.test", 2, false), ("slow.test", 1, true)]);
        _cluster = new ClusterMetrics(Factory, () => [Orleans.Runtime.SiloStatus.Active, Orleans.Runtime.SiloStatus.Active, Orleans.Runtime.SiloStatus.Dead]);
        _tier = new MailCluster.Cluster.RetryTier.RetryTierMetrics(Factory);
        _tier.ApproximateEntries(new Dictionary<string, long> { ["mctest-retry-p0"] = 12 });
        _events = new MailCluster.Events.EventsMetrics(Factory);
        _events.ObserveSinks(
            () => [new MailCluster.Events.EventSinkStatus("hooks", "https://hooks.test/events", "retrying", 10, new EventBacklog(3, 900, s_now), TimeSpan.FromSeconds(4), 10, 0.5, "503", s_now)],
            1 << 30);
        var dns = new DnsOptions();
        dns.Nameservers.Add("127.0.0.1");
        DnsResolver.Create(dns, TimeProvider.System, Factory);
    }

    public TestMeterFactory Factory { get; } = new();

    public SiloMetrics Metrics { get; }

    public IngressMetrics Ingress { get; }

    public DeliveryMetrics Delivery { get; }

    private static readonly DateTimeOffset s_now = new(2026, 11, 23, 1, 0, 0, TimeSpan.Zero);

    /// <summary>Some traffic, so that every kind of instrument has samples.</summary>
    public RoomMetrics WithTraffic()
    {
        Ingress.ConnectionOpened();
        Ingress.Accepted(2048, TimeSpan.FromMilliseconds(3));
        Ingress.Accepted(100_000, TimeSpan.FromMilliseconds(40));
        Ingress.Rejected(552);
        Ingress.Rejected(451);
        Ingress.Auth("failed");
        Delivery.Attempt("dest.test", "delivered", "2xx", TimeSpan.FromSeconds(2), null);
        Delivery.Attempt("slow.test", "deferred", "4xx", null, "Greylisted");
        Delivery.ThrottleWait("dest.test");
        Delivery.BackedOff("slow.test");
        Delivery.DsnGenerated(2048);
        Delivery.PossibleDuplicate(1);
        return this;
    }

    public void Dispose()
    {
        Metrics.Dispose();
        Ingress.Dispose();
        _spool.Dispose();
        _cluster.Dispose();
        _tier.Dispose();
        _events.Dispose();
        Delivery.Dispose();
        Factory.Dispose();
    }
}
