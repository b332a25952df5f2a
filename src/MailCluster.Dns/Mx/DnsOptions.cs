namespace MailCluster.Dns.Mx;

/// <summary>Resolver settings, bound from the "Dns" configuration section and checked by <see cref="DnsOptionsValidator"/>.</summary>
public sealed class DnsOptions
{
    public const string SectionName = "Dns";

    /// <summary>
    /// Recursive nameservers as "ip:port" ("[v6]:port"; the port defaults to 53), tried in order.
    /// Default: empty, meaning the nameserver lines of /etc/resolv.conf.
    /// </summary>
    public IList<string> Nameservers { get; } = [];

    /// <summary>
    /// Wait for one answer from one nameserver. Default 2 s: RFC 1536 1 recommends an initial
    /// retransmission interval of 2-5 s, and trying the next server early beats waiting on a dead one.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Rounds over the whole nameserver list. Default 2, as glibc's resolv.conf "attempts".</summary>
    public int Attempts { get; set; } = 2;

    /// <summary>Floor on cached TTLs. Default 0: honour the zone's TTL, even zero (RFC 1035 3.2.1).</summary>
    public TimeSpan MinimumTtl { get; set; } = TimeSpan.Zero;

    /// <summary>Ceiling on positive TTLs. Default 1 day; RFC 8767 4 suggests capping at 7 days at most.</summary>
    public TimeSpan MaximumTtl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Ceiling on negative caching. Default 1 h, within the 1-3 h RFC 2308 5 recommends.</summary>
    public TimeSpan MaximumNegativeTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Cached answers kept at most; 0 disables the cache. Default 10,000 (about 10 MB at worst).</summary>
    public int MaxCacheEntries { get; set; } = 10_000;

    /// <summary>CNAMEs followed for one lookup before giving up. Default 8, as BIND's max-query-restarts 8 (RFC 1034 3.6.2).</summary>
    public int MaxCnameDepth { get; set; } = 8;

    /// <summary>MX hosts whose addresses are looked up for one domain. Default 10 (RFC 5321 5.1 lets senders bound this).</summary>
    public int MaxMxHosts { get; set; } = 10;

    /// <summary>EDNS0 UDP payload size advertised. Default 1232, the DNS flag day 2020 value; RFC 6891 6.2.5 floor is 512.</summary>
    public int UdpPayloadSize { get; set; } = 1232;
}
