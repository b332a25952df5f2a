using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace MailCluster.Testing.Dkim;

/// <summary>Checks DKIM signatures as a receiver would: MimeKit's verifier, with the test keys' TXT records as DNS.</summary>
public static class DkimTestVerifier
{
    /// <summary>Whether each DKIM-Signature field of <paramref name="content"/> verifies, in order.</summary>
    public static List<bool> Verify(string content, params DkimTestKey[] keys)
    {
        var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(content)));
        var verifier = new DkimVerifier(new TxtRecords(keys.ToDictionary(k => k.RecordName, k => k.TxtRecord)));
        verifier.Enable(DkimSignatureAlgorithm.Ed25519Sha256);
        return [.. message.Headers.Where(h => h.Id == HeaderId.DkimSignature).Select(h => verifier.Verify(message, h))];
    }

    private sealed class TxtRecords(Dictionary<string, string> records) : DkimPublicKeyLocatorBase
    {
        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            GetPublicKey(records[$"{selector}._domainkey.{domain}"]);

        public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
    }
}
