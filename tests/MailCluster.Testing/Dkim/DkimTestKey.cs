using MailCluster.Mime.Dkim;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace MailCluster.Testing.Dkim;

/// <summary>
/// A DKIM key pair made for a test: the private key as a PKCS#8 PEM file, and the public key as the
/// TXT record a verifier looks up at <c>selector._domainkey.domain</c> (RFC 6376 3.6.1, RFC 8463 4).
/// </summary>
public sealed record DkimTestKey(string Domain, string Selector, string Algorithm, string KeyFile, string TxtRecord)
{
    public string RecordName => $"{Selector}._domainkey.{Domain}";

    /// <summary>The dnsmasq line publishing the key; the record is cut into strings of at most 255 octets (RFC 1035 3.3.14).</summary>
    public string DnsmasqLine =>
        $"txt-record={RecordName}," + string.Join(',', TxtRecord.Chunk(255).Select(part => $"\"{new string(part)}\""));

    /// <summary>The configuration arguments of key <paramref name="index"/>.</summary>
    public string[] Arguments(int index) =>
    [
        $"--Dkim:Keys:{index}:Domain={Domain}", $"--Dkim:Keys:{index}:Selector={Selector}",
        $"--Dkim:Keys:{index}:KeyFile={KeyFile}", $"--Dkim:Keys:{index}:Algorithm={Algorithm}",
    ];

    public static DkimTestKey Rsa(string directory, string domain, string selector, int bits = 2048)
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(new SecureRandom(), bits));
        var pair = generator.GenerateKeyPair();
        var spki = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded();
        return Write(directory, domain, selector, DkimKeyFile.RsaSha256, pair.Private, $"v=DKIM1; k=rsa; p={Convert.ToBase64String(spki)}");
    }

    public static DkimTestKey Ed25519(string directory, string domain, string selector)
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        // RFC 8463 4: p= is the raw 32-octet public key, not its SubjectPublicKeyInfo.
        var raw = ((Ed25519PublicKeyParameters)pair.Public).GetEncoded();
        return Write(directory, domain, selector, DkimKeyFile.Ed25519Sha256, pair.Private, $"v=DKIM1; k=ed25519; p={Convert.ToBase64String(raw)}");
    }

    private static DkimTestKey Write(string directory, string domain, string selector, string algorithm, AsymmetricKeyParameter privateKey, string txt)
    {
        var path = Path.Combine(directory, $"{selector}.{domain}.{algorithm}.pem");
        using (var writer = new StreamWriter(path))
        {
            new PemWriter(writer).WriteObject(new Pkcs8Generator(privateKey));
        }
        return new DkimTestKey(domain, selector, algorithm, path, txt);
    }
}
