using System.Diagnostics.CodeAnalysis;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace MailCluster.Smtp.Client;

/// <summary>The two client TLS policies for STARTTLS; the Delivery room picks one per destination.</summary>
public static class SmtpTlsOptions
{
    /// <summary>
    /// RFC 7435 opportunistic security: encrypt whenever offered and accept any certificate, since
    /// refusing it would only make the message go in plaintext.
    /// </summary>
    [SuppressMessage("Security", "CA5359", Justification = "RFC 7435: opportunistic TLS accepts any certificate by design; Verified() is the checking policy.")]
    public static SslClientAuthenticationOptions Opportunistic(string targetHost) => new()
    {
        TargetHost = targetHost,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        RemoteCertificateValidationCallback = AcceptAnyCertificate,
    };

    /// <summary>
    /// Verified TLS: the chain must be trusted and the certificate must name <paramref name="targetHost"/>
    /// (RFC 6125). <paramref name="trustedRoots"/> replaces the system store when given.
    /// </summary>
    public static SslClientAuthenticationOptions Verified(string targetHost, X509Certificate2Collection? trustedRoots = null)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        };
        if (trustedRoots is not null)
        {
            options.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(trustedRoots);
        }
        return options;
    }

    private static bool AcceptAnyCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) => true;
}
