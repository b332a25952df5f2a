using System.Diagnostics.Metrics;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Mx;

/// <summary>The DNS room's instruments, on the "MailCluster.Dns" meter.</summary>
internal sealed class DnsMetrics
{
    public const string MeterName = "MailCluster.Dns";

    private readonly Counter<long> _lookups;
    private readonly Counter<long> _cacheHits;
    private readonly Histogram<double> _duration;

    public DnsMetrics(Meter meter)
    {
        _lookups = meter.CreateCounter<long>("mailcluster.dns.lookups", description: "Lookups sent to nameservers, by record type and result.");
        _cacheHits = meter.CreateCounter<long>("mailcluster.dns.cache.hits", description: "Lookups answered from the cache, by record type.");
        _duration = meter.CreateHistogram<double>("mailcluster.dns.lookup.duration", unit: "s", description: "Time to resolve a lookup over the network.");
    }

    public void LookupCompleted(DnsRecordType type, DnsLookupStatus status, TimeSpan elapsed)
    {
        var typeTag = KeyValuePair.Create<string, object?>("type", type.ToString());
        _lookups.Add(1, typeTag, KeyValuePair.Create<string, object?>("result", status.ToString()));
        _duration.Record(elapsed.TotalSeconds, typeTag);
    }

    public void CacheHit(DnsRecordType type) => _cacheHits.Add(1, KeyValuePair.Create<string, object?>("type", type.ToString()));
}
