using System.Net;

namespace MailCluster.Dns.Mx;

/// <summary>
/// One mail host to try, with its A and AAAA addresses. <see cref="IsImplicit"/> marks the domain
/// itself used as its own mail host because it has no MX records (RFC 5321 5.1).
/// </summary>
public sealed record MxHost(string Name, ushort Preference, IReadOnlyList<IPAddress> Addresses, bool IsImplicit = false);
