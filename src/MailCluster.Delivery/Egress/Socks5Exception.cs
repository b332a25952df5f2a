namespace MailCluster.Delivery.Egress;

/// <summary>
/// A SOCKS5 proxy (RFC 1928) did not open the connection asked of it; the message says why in
/// words an operator can act on. The stream to the proxy is of no further use.
/// </summary>
internal sealed class Socks5Exception(string message, Exception? innerException = null) : Exception(message, innerException);
