namespace MailCluster.Delivery.Egress;

/// <summary>
/// A SOCKS5 proxy (RFC 1928) did not open the connection asked of it; the message says why in
/// words an operator can act on. The stream to the proxy is of no further use.
/// </summary>
internal sealed class Socks5Exception(string message, Exception? innerException = null, byte? reply = null) : Exception(message, innerException)
{
    /// <summary>The proxy's REP code when it refused the CONNECT (RFC 1928 6); null when it failed otherwise.</summary>
    public byte? Reply => reply;

    /// <summary>
    /// The proxy could not reach the target (network or host unreachable, connection refused, TTL
    /// expired: REP 3-6): the host is at fault, not the proxy, and the next host may do.
    /// </summary>
    public bool TargetUnreachable => Reply is >= 3 and <= 6;
}
