using System.Net;

namespace MailCluster.Dns.Mx;

/// <summary>A host's addresses, or (when empty) why it has none.</summary>
public sealed record HostAddresses(IReadOnlyList<IPAddress> Addresses, string? Failure);
