namespace MailCluster.Dns;

internal enum DnsLookupStatus
{
    /// <summary>Records of the asked type exist.</summary>
    Success,

    /// <summary>The name exists but has no records of the asked type (RFC 2308 2.2).</summary>
    NoData,

    /// <summary>NXDOMAIN: the name does not exist (RFC 2308 2.1).</summary>
    NameError,

    /// <summary>SERVFAIL or another error RCODE from every nameserver.</summary>
    ServerFailure,

    /// <summary>REFUSED from every nameserver.</summary>
    Refused,

    /// <summary>No acceptable answer before the deadline from any nameserver.</summary>
    Timeout,

    /// <summary>The CNAME chain loops or is longer than DnsOptions.MaxCnameDepth.</summary>
    CnameError,
}
