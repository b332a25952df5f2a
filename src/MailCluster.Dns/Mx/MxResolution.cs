namespace MailCluster.Dns.Mx;

/// <summary>
/// Where mail for <see cref="Domain"/> goes, or why it cannot go there. The delivery classifier
/// reacts to <see cref="Kind"/> (and picks the RFC 3463 status for it); the delivery log and
/// DSN quote <see cref="Reason"/>.
/// </summary>
public sealed record MxResolution(string Domain, MxResolutionKind Kind, IReadOnlyList<MxHost> Hosts, string Reason)
{
    public bool IsTemporaryFailure => Kind == MxResolutionKind.TemporaryFailure;

    public bool IsPermanentFailure => Kind is MxResolutionKind.NullMx or MxResolutionKind.NoSuchDomain or MxResolutionKind.NoMailHosts;

    internal static MxResolution Resolved(string domain, IReadOnlyList<MxHost> hosts) =>
        new(domain, MxResolutionKind.Resolved, hosts,
            $"{domain}: {string.Join(", ", hosts.Select(h => $"{h.Name} (preference {h.Preference}, {h.Addresses.Count} address(es))"))}");

    internal static MxResolution NullMx(string domain) =>
        new(domain, MxResolutionKind.NullMx, [], $"{domain} publishes a null MX (RFC 7505) and accepts no mail");

    internal static MxResolution NoSuchDomain(string domain, string detail) =>
        new(domain, MxResolutionKind.NoSuchDomain, [], detail);

    internal static MxResolution NoMailHosts(string domain, string detail) =>
        new(domain, MxResolutionKind.NoMailHosts, [], detail);

    internal static MxResolution TemporaryFailure(string domain, string detail) =>
        new(domain, MxResolutionKind.TemporaryFailure, [], detail);
}
