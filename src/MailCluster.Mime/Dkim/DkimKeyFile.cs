using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;

namespace MailCluster.Mime.Dkim;

/// <summary>Reads a DKIM private key from a PEM file and checks that it suits its algorithm.</summary>
public static class DkimKeyFile
{
    public const string RsaSha256 = "rsa-sha256";
    public const string Ed25519Sha256 = "ed25519-sha256";

    /// <summary>RSA keys below this are refused; the large mailbox providers expect 2048 bits.</summary>
    public const int MinimumRsaBits = 2048;

    /// <summary>The key and its MimeKit algorithm, or why the file cannot be used.</summary>
    public static (AsymmetricKeyParameter? Key, DkimSignatureAlgorithm Algorithm, string? Problem) Load(string path, string algorithm)
    {
        var wanted = algorithm.ToLowerInvariant() switch
        {
            RsaSha256 => DkimSignatureAlgorithm.RsaSha256,
            Ed25519Sha256 => DkimSignatureAlgorithm.Ed25519Sha256,
            _ => (DkimSignatureAlgorithm?)null,
        };
        if (wanted is not { } signature)
        {
            return (null, default, $"has algorithm '{algorithm}'; use {RsaSha256} or {Ed25519Sha256}");
        }
        if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
        {
            return (null, signature, "does not exist");
        }
        object? pem;
        try
        {
            using var reader = new StreamReader(path);
            pem = new PemReader(reader).ReadObject();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or PemException or InvalidCastException or ArgumentException)
        {
            return (null, signature, $"cannot be read as PEM: {exception.Message}");
        }
        var key = pem switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter { IsPrivate: true } single => single,
            _ => null,
        };
        return (signature, key) switch
        {
            (_, null) => (null, signature, "holds no private key"),
            (DkimSignatureAlgorithm.RsaSha256, RsaKeyParameters rsa) when rsa.Modulus.BitLength < MinimumRsaBits =>
                (null, signature, $"is a {rsa.Modulus.BitLength}-bit RSA key; at least {MinimumRsaBits} bits are required"),
            (DkimSignatureAlgorithm.RsaSha256, RsaKeyParameters) => (key, signature, null),
            (DkimSignatureAlgorithm.Ed25519Sha256, Ed25519PrivateKeyParameters) => (key, signature, null),
            _ => (null, signature, $"is not a key for {algorithm}"),
        };
    }

    /// <summary>Dot-separated labels of letters, digits and hyphens (RFC 1035 2.3.1, as DKIM's d= and s= use them).</summary>
    public static bool IsDomainName(string name) =>
        name.Length is > 0 and <= 253
        && name.Split('.').All(label => label.Length is > 0 and <= 63 && label[0] != '-' && label[^1] != '-' && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
}
