using System.Security.Cryptography;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace MailCluster.Mime.Dkim;

/// <summary>One loaded signing key; an RSA key also as the platform's, which signs it (<see cref="NativeRsaDkimSigner"/>).</summary>
public sealed record DkimKey(string Domain, string Selector, DkimSignatureAlgorithm Algorithm, AsymmetricKeyParameter PrivateKey)
{
    private readonly RSA? _rsa = PrivateKey is RsaPrivateCrtKeyParameters rsa ? RSA.Create(DotNetUtilities.ToRSAParameters(rsa)) : null;

    /// <summary>MimeKit's signer for this key, relaxed/relaxed.</summary>
    public DkimSigner Signer()
    {
        var signer = _rsa is null ? new DkimSigner(PrivateKey, Domain, Selector, Algorithm) : new NativeRsaDkimSigner(PrivateKey, _rsa, Domain, Selector);
        signer.HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
        signer.BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
        return signer;
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
