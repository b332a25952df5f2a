namespace MailCluster.Dns.Mx;

/// <summary>
/// Where mail for <see cref="Domain"/> goes, or why it cannot go there. The delivery classifier
/// reacts to <see cref="Kind"/>; the delivery log and DSN quote <see cref="EnhancedStatusCode"/>
/// (RFC 3463) and <see cref="Reason"/>.
/// </summary>
public sealed record MxResolution(string Domain, MxResolutionKind Kind, IReadOnlyList<MxHost> Hosts, string EnhancedStatusCode, string Reason)
{
    public bool IsTemporaryFailure => Kind == MxResolutionKind.TemporaryFailure;

    public bool IsPermanentFailure => Kind is MxResolutionKind.NullMx or MxResolutionKind.NoSuchDomain or MxResolutionKind.NoMailHosts;

    internal static MxResolution Resolved(string domain, IReadOnlyList<MxHost> hosts) =>
        new(domain, MxResolutionKind.Resolved, hosts, "2.0.0",
            $"{domain}: {string.Join(", ", hosts.Select(h => $"{h.Name} (preference {h.Preference}, {h.Addresses.Count} address(es))"))}");

    // RFC 7505 4.1: mail to a null MX domain fails permanently with 5.1.10.
    internal static MxResolution NullMx(string domain) =>
        new(domain, MxResolutionKind.NullMx, [], "5.1.10", $"{domain} publishes a null MX (RFC 7505) and accepts no mail");

    // RFC 3463 3.2: X.1.2 bad destination system address.
    internal static MxResolution NoSuchDomain(string domain, string detail) =>
        new(domain, MxResolutionKind.NoSuchDomain, [], "5.1.2", detail);

    // RFC 3463 3.5: X.4.4 unable to route.
    internal static MxResolution NoMailHosts(string domain, string detail) =>
        new(domain, MxResolutionKind.NoMailHosts, [], "5.4.4", detail);

    // RFC 3463 3.5: X.4.3 directory server failure.
    internal static MxResolution TemporaryFailure(string domain, string detail) =>
        new(domain, MxResolutionKind.TemporaryFailure, [], "4.4.3", detail);
}
