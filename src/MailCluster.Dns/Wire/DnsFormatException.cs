namespace MailCluster.Dns.Wire;

/// <summary>
/// A packet broke RFC 1035 framing. Thrown only inside the wire reader; <see cref="DnsMessageParser.TryParse"/>
/// turns it into a rejected packet, so transports drop it and keep waiting for a valid answer.
/// </summary>
internal sealed class DnsFormatException(string message) : Exception(message);
