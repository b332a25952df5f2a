using System.Security.Cryptography;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace MailCluster.Mime.Dkim;

/// <summary>
/// MimeKit's DKIM signer with the RSA operation done by the platform (OpenSSL on Linux) instead of
/// BouncyCastle's managed code, which takes about 5 ms of CPU per 2048-bit signature: the whole
/// ingress ran 16 times slower with it. Canonicalization and the field itself stay MimeKit's.
/// </summary>
internal sealed class NativeRsaDkimSigner(AsymmetricKeyParameter key, RSA rsa, string domain, string selector)
    : DkimSigner(key, domain, selector, DkimSignatureAlgorithm.RsaSha256)
{
    protected override ISigner CreateSigningContext() => new RsaSha256Signer(rsa);

    /// <summary>A BouncyCastle signer interface over a SHA-256 of the data and an RSA PKCS#1 v1.5 signature of it (RFC 6376 3.3.1).</summary>
    private sealed class RsaSha256Signer(RSA rsa) : ISigner
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public string AlgorithmName => "SHA-256withRSA";

        public void Init(bool forSigning, ICipherParameters parameters)
        {
        }

        public void Update(byte input) => _hash.AppendData([input]);

        public void BlockUpdate(byte[] input, int inOff, int inLen) => _hash.AppendData(input, inOff, inLen);

        public void BlockUpdate(ReadOnlySpan<byte> input) => _hash.AppendData(input);

        public int GetMaxSignatureSize() => rsa.KeySize / 8;

        /// <summary>The signature; MimeKit asks once per signing context, so the hash is released here.</summary>
        public byte[] GenerateSignature()
        {
            var digest = _hash.GetHashAndReset();
            _hash.Dispose();
            return rsa.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        public bool VerifySignature(byte[] signature) => rsa.VerifyHash(_hash.GetHashAndReset(), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        public void Reset() => _hash.GetHashAndReset();
    }
}
