using System.Diagnostics.CodeAnalysis;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace MailCluster.Smtp.Client;

/// <summary>The client TLS policies for STARTTLS; the Delivery room picks one per destination.</summary>
public static class SmtpTlsOptions
{
    /// <summary>
    /// RFC 7435 opportunistic security: encrypt whenever offered and accept any certificate, since
    /// refusing it would only make the message go in plaintext.
    /// </summary>
    public static SslClientAuthenticationOptions Opportunistic(string targetHost) => Observed(targetHost, null, static _ => { });

    /// <summary>
    /// Opportunistic, and tells <paramref name="verified"/> whether the certificate would have
    /// passed <see cref="Verified"/> (MTA-STS testing mode reports what enforce would refuse).
    /// </summary>
    [SuppressMessage("Security", "CA5359", Justification = "RFC 7435: opportunistic TLS accepts any certificate by design; Verified() is the checking policy.")]
    public static SslClientAuthenticationOptions Observed(string targetHost, X509Certificate2Collection? trustedRoots, Action<bool> verified) => new()
    {
        TargetHost = targetHost,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            verified(IsValid(certificate, errors, trustedRoots));
            return true;
        },
    };

    /// <summary>
    /// Verified TLS: the chain must be trusted and the certificate must name <paramref name="targetHost"/>
    /// (RFC 6125). <paramref name="trustedRoots"/> replaces the system store when given.
    /// </summary>
    public static SslClientAuthenticationOptions Verified(string targetHost, X509Certificate2Collection? trustedRoots = null) => new()
    {
        TargetHost = targetHost,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        CertificateChainPolicy = trustedRoots is null ? null : CustomTrust(trustedRoots),
    };

    private static bool IsValid(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection? trustedRoots)
    {
        if (trustedRoots is null || certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return errors == SslPolicyErrors.None;
        }
        // The handshake judged the chain by the system store: judge it again by the configured roots.
        using var chain = new X509Chain { ChainPolicy = CustomTrust(trustedRoots) };
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf) && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None;
    }

    /// <summary>
    /// Only <paramref name="roots"/> are trusted. No revocation check, as with the system store
    /// (SslStream's default): MTAs do not fetch CRLs, and private CAs rarely publish them.
    /// </summary>
    private static X509ChainPolicy CustomTrust(X509Certificate2Collection roots)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }
}
