using System.Security.Authentication;

namespace MailCluster.Smtp.Protocol;

/// <summary>The conventional names of TLS versions (as OpenSSL and Postfix log them), for Received headers and the delivery log.</summary>
public static class TlsProtocolName
{
    public static string Of(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls12 => "TLSv1.2",
        SslProtocols.Tls13 => "TLSv1.3",
        _ => protocol.ToString(),
    };
}
