using System.Security.Cryptography;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace MailCluster.Mime.Dkim;

/// <summary>One loaded signing key; an RSA key also as the platform's (OpenSSL on Linux), which signs with it.</summary>
public sealed record DkimKey(string Domain, string Selector, DkimSignatureAlgorithm Algorithm, AsymmetricKeyParameter PrivateKey)
{
    // BouncyCastle's managed RSA takes about 5 ms of CPU per 2048-bit signature; the platform's, a quarter of one.
    private readonly RSA? _rsa = PrivateKey is RsaPrivateCrtKeyParameters rsa ? RSA.Create(DotNetUtilities.ToRSAParameters(rsa)) : null;

    /// <summary>The a= tag's value (RFC 6376 3.5, RFC 8463 3).</summary>
    public string AlgorithmTag => _rsa is null ? DkimKeyFile.Ed25519Sha256 : DkimKeyFile.RsaSha256;

    /// <summary>
    /// The signature of a SHA-256 <paramref name="digest"/>: RSASSA-PKCS1-v1_5 (RFC 6376 3.3.1), or
    /// PureEdDSA Ed25519 over the digest itself (RFC 8463 3).
    /// </summary>
    public byte[] SignDigest(byte[] digest)
    {
        if (_rsa is not null)
        {
            return _rsa.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        var ed25519 = new Ed25519Signer();
        ed25519.Init(forSigning: true, PrivateKey);
        ed25519.BlockUpdate(digest, 0, digest.Length);
        return ed25519.GenerateSignature();
    }
}

/// <summary>
/// The signing keys, chosen by the From: domain: its own, else the nearest parent domain's (the
/// signature then aligns under DMARC's relaxed rule, RFC 7489 3.1.1), else the fallback domain's.
/// </summary>
public sealed class DkimKeyRing
{
    private readonly Dictionary<string, List<DkimKey>> _byDomain;
    private readonly string? _fallback;

    public DkimKeyRing(IEnumerable<DkimKey> keys, string? fallbackDomain)
    {
        _byDomain = keys.GroupBy(k => k.Domain, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
        _fallback = fallbackDomain;
    }

    /// <summary>Loads every key of validated options.</summary>
    public static DkimKeyRing From(DkimOptions options) =>
        new(options.Keys.Select(k =>
            {
                var (key, algorithm, problem) = DkimKeyFile.Load(k.KeyFile, k.Algorithm);
                return key is null ? throw new InvalidOperationException($"DKIM key {k.KeyFile}: {problem}") : new DkimKey(k.Domain, k.Selector, algorithm, key);
            }),
            string.IsNullOrWhiteSpace(options.FallbackDomain) ? null : options.FallbackDomain);

    public bool IsEmpty => _byDomain.Count == 0;

    /// <summary>The keys to sign with for mail from <paramref name="fromDomain"/>; empty when none applies.</summary>
    public IReadOnlyList<DkimKey> For(string fromDomain)
    {
        for (var domain = fromDomain.TrimEnd('.'); domain.Length > 0; domain = Parent(domain))
        {
            if (_byDomain.TryGetValue(domain, out var keys))
            {
                return keys;
            }
        }
        return _fallback is not null && _byDomain.TryGetValue(_fallback, out var fallback) ? fallback : [];
    }

    private static string Parent(string domain) => domain.IndexOf('.', StringComparison.Ordinal) is var dot and >= 0 ? domain[(dot + 1)..] : string.Empty;
}
