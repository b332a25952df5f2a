using System.Net;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Transport;

/// <summary>The last answer (or silence, when <see cref="Response"/> is null) and who gave it.</summary>
internal sealed record DnsExchangeResult(DnsMessage? Response, IPEndPoint Server);
