using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailCluster.Smtp.Client;

namespace MailCluster.Delivery.Egress;

/// <summary>
/// The roots verified TLS trusts, for MX hosts (Verify policy, MTA-STS enforce) and MTA-STS policy
/// hosts alike: the system store, or only the certificates of <c>Delivery:TrustedRootsFile</c>
/// (a PEM bundle, e.g. a private CA) when set. The system store itself is never changed.
/// </summary>
internal sealed class TrustedRoots
{
    private TrustedRoots(X509Certificate2Collection? certificates)
    {
        Certificates = certificates;
    }

    /// <summary>The configured roots; null means the system store.</summary>
    public X509Certificate2Collection? Certificates { get; }

    public static TrustedRoots Load(string path)
    {
        if (path.Length == 0)
        {
            return new TrustedRoots(null);
        }
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        return new TrustedRoots(certificates);
    }

    /// <summary>Why the file named by <c>Delivery:TrustedRootsFile</c> cannot serve, or null.</summary>
    public static string? Check(string path, string key)
    {
        if (path.Length == 0)
        {
            return null;
        }
        try
        {
            return Load(path).Certificates!.Count == 0 ? $"{key}: {path} holds no PEM certificate" : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            return $"{key}: {path} cannot be read as PEM certificates ({e.Message})";
        }
    }

    public SslClientAuthenticationOptions Verified(string targetHost) => SmtpTlsOptions.Verified(targetHost, Certificates);

    public SslClientAuthenticationOptions Observed(string targetHost, Action<bool> verified) => SmtpTlsOptions.Observed(targetHost, Certificates, verified);
}
