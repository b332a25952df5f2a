namespace MailCluster.Dns.Mx;

public enum MxResolutionKind
{
    /// <summary>At least one mail host with addresses; deliver to <see cref="MxResolution.Hosts"/> in order.</summary>
    Resolved,

    /// <summary>The domain publishes "MX 0 ." and accepts no mail (RFC 7505). Bounce with 5.1.10.</summary>
    NullMx,

    /// <summary>NXDOMAIN or an invalid domain name. Bounce with 5.1.2.</summary>
    NoSuchDomain,

    /// <summary>The domain exists but no MX target (or implicit MX) has an address. Bounce with 5.4.4.</summary>
    NoMailHosts,

    /// <summary>SERVFAIL, REFUSED, timeout or a broken CNAME chain. Defer with 4.4.3 and retry later.</summary>
    TemporaryFailure,
}
