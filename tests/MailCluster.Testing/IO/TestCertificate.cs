using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MailCluster.Testing.IO;

/// <summary>Certificates for TLS tests: self-signed, or a test CA and certificates it issues; in memory or as PEM files.</summary>
public static class TestCertificate
{
    private static readonly DateTimeOffset s_notBefore = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_notAfter = new(2099, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static X509Certificate2 Create(string hostName = "localhost")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = LeafRequest(key, [hostName]).CreateSelfSigned(s_notBefore, s_notAfter);
        return Usable(certificate);
    }

    /// <summary>A certificate authority of its own (basic constraints CA, key cert sign).</summary>
    public static X509Certificate2 CreateAuthority(string name = "MailCluster Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(s_notBefore, s_notAfter);
        return Usable(certificate);
    }

    /// <summary>A server certificate for <paramref name="hostNames"/>, signed by <paramref name="authority"/>.</summary>
    public static X509Certificate2 Issue(X509Certificate2 authority, params string[] hostNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = LeafRequest(key, hostNames);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        using var issued = request.Create(authority, s_notBefore, s_notAfter, RandomNumberGenerator.GetBytes(16));
        using var withKey = issued.CopyWithPrivateKey(key);
        return Usable(withKey);
    }

    /// <summary>Writes cert.pem and key.pem into <paramref name="directory"/>; returns their paths.</summary>
    public static (string Certificate, string Key) WritePem(string directory, string hostName = "localhost")
    {
        using var certificate = Create(hostName);
        return WritePem(directory, certificate);
    }

    /// <summary>Writes <paramref name="certificate"/> and its key as PEM files named after <paramref name="stem"/>.</summary>
    public static (string Certificate, string Key) WritePem(string directory, X509Certificate2 certificate, string stem = "")
    {
        var certPath = Path.Combine(directory, $"{stem}cert.pem");
        var keyPath = Path.Combine(directory, $"{stem}key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }

    private static CertificateRequest LeafRequest(ECDsa key, string[] hostNames)
    {
        var request = new CertificateRequest($"CN={hostNames[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in hostNames)
        {
            san.AddDnsName(name);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request;
    }

    /// <summary>Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.</summary>
    private static X509Certificate2 Usable(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
