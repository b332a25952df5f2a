using System.Buffers;
using System.Text;
using MailCluster.Mime.Dkim;
using MailCluster.Testing.Dkim;
using MailCluster.Testing.IO;
using MimeKit;

namespace MailCluster.Mime.Tests.Dkim;

public sealed class MessageSignerTests : IDisposable
{
    private const string Message =
        "Received: from client.test by silo.test; Mon, 30 Nov 2026 12:00:00 +0000\r\n"
        + "From: Alice <alice@news.example.test>\r\n"
        + "To: bob@dest.test\r\n"
        + "Subject: The  news\r\n"
        + "Date: Mon, 30 Nov 2026 12:00:00 +0000\r\n"
        + "Message-ID: <1@news.example.test>\r\n"
        + "\r\n"
        + "Hello,  Bob.\r\n"
        + "\r\n"
        + "\r\n";

    private readonly TempDirectory _keys = new();

    public void Dispose() => _keys.Dispose();

    [Theory]
    [InlineData(DkimKeyFile.RsaSha256)]
    [InlineData(DkimKeyFile.Ed25519Sha256)]
    public void TheSignatureVerifiesOverTheOriginalBytesWhichFollowItUnchanged(string algorithm)
    {
        var key = Key(algorithm, "example.test", "s1");
        var signer = Signer([key]);

        var signature = signer.Sign(Bytes(Message));

        Assert.Equal(DkimOutcome.WithSignature, signature.Outcome);
        var signed = Encoding.ASCII.GetString(signature.HeaderFields) + Message;
        Assert.StartsWith("DKIM-Signature:", signed, StringComparison.Ordinal);
        Assert.EndsWith("\r\n" + Message, signed, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', Encoding.ASCII.GetString(signature.HeaderFields).Replace("\r\n", string.Empty, StringComparison.Ordinal));
        Assert.Equal([true], Verify(signed, key));
        var fields = Tags(signed);
        Assert.Equal(("example.test", "s1", algorithm, "relaxed/relaxed"), (fields["d"], fields["s"], fields["a"], fields["c"]));
        // From and Subject once more than present (RFC 6376 5.4.2): adding either later breaks the signature.
        Assert.Equal(2, fields["h"].Split(':').Count(h => h.Equals("from", StringComparison.OrdinalIgnoreCase)));
        Assert.Equal(2, fields["h"].Split(':').Count(h => h.Equals("subject", StringComparison.OrdinalIgnoreCase)));
        Assert.Equal([false], Verify(signed.Replace("Subject: The  news\r\n", "Subject: The  news\r\nSubject: Win\r\n", StringComparison.Ordinal), key));
        Assert.Equal([false], Verify(signed.Replace("Hello,", "Hullo,", StringComparison.Ordinal), key));
    }

    [Theory]
    [InlineData(DkimKeyFile.RsaSha256)]
    [InlineData(DkimKeyFile.Ed25519Sha256)]
    public void FoldedOddlySpacedAndRepeatedFieldsAreSignedAsAReceiverReadsThem(string algorithm)
    {
        const string Odd =
            "FROM :  Alice\r\n\t<alice@news.example.test>  \r\n"
            + "Subject: first\r\n"
            + "X-Other: not signed\r\n"
            + "subject:\tsecond \t part\r\n   folded\r\n"
            + "Message-ID: <2@news.example.test>\r\n"
            + "\r\n"
            + "  Indented  line \r\n"
            + "\r\n";
        var key = Key(algorithm, "example.test", "s1");

        var signature = Signer([key]).Sign(Bytes(Odd));

        var signed = Encoding.ASCII.GetString(signature.HeaderFields) + Odd;
        Assert.Equal([true], Verify(signed, key));
        // Both Subject fields are signed, and one more: a third cannot be added.
        Assert.Equal(3, Tags(signed)["h"].Split(':').Count(h => h == "subject"));
        Assert.Equal([false], Verify(signed.Replace("Subject: first\r\n", "Subject: first\r\nSubject: third\r\n", StringComparison.Ordinal), key));
        Assert.Equal([false], Verify(signed.Replace("part", "PART", StringComparison.Ordinal), key));
        // Changes in white space only that relaxed canonicalization ignores keep it valid.
        Assert.Equal([true], Verify(signed.Replace("  Indented  line \r\n", " Indented line\r\n", StringComparison.Ordinal), key));
    }

    [Fact]
    public void AHeaderSectionThatIsNotFieldsGoesUnsigned()
    {
        var signer = Signer([Key(DkimKeyFile.Ed25519Sha256, "example.test", "s1")]);

        var signature = signer.Sign(Bytes("From: a@example.test\r\nthis line has no colon\r\n\r\nbody\r\n"));

        Assert.Equal((DkimOutcome.Unparseable, 0), (signature.Outcome, signature.HeaderFields.Length));
    }

    [Fact]
    public void TwoKeysForOneDomainSignTwiceAndBothVerify()
    {
        var rsa = Key(DkimKeyFile.RsaSha256, "example.test", "rsa");
        var ed = Key(DkimKeyFile.Ed25519Sha256, "example.test", "ed");

        var signature = Signer([rsa, ed]).Sign(Bytes(Message));

        var signed = Encoding.ASCII.GetString(signature.HeaderFields) + Message;
        Assert.Equal(2, signed.Split("DKIM-Signature:").Length - 1);
        Assert.Equal([true, true], Verify(signed, rsa, ed));
    }

    [Fact]
    public void TheKeyIsTheFromDomainsOwnElseTheNearestParentsElseTheFallback()
    {
        var parent = Key(DkimKeyFile.Ed25519Sha256, "example.test", "p");
        var own = Key(DkimKeyFile.Ed25519Sha256, "news.example.test", "o");
        var esp = Key(DkimKeyFile.Ed25519Sha256, "esp.test", "e");
        var ring = new DkimKeyRing([Loaded(parent), Loaded(own), Loaded(esp)], fallbackDomain: "esp.test");

        Assert.Equal("news.example.test", Assert.Single(ring.For("news.example.test")).Domain);
        Assert.Equal("example.test", Assert.Single(ring.For("deep.shop.example.test")).Domain);
        Assert.Equal("esp.test", Assert.Single(ring.For("other.test")).Domain);
        Assert.Empty(new DkimKeyRing([Loaded(parent)], fallbackDomain: null).For("other.test"));
    }

    [Fact]
    public void MailWithoutAKeyOrAFromGoesUnsignedAndSaysWhy()
    {
        var signer = Signer([Key(DkimKeyFile.Ed25519Sha256, "elsewhere.test", "s")]);

        var noKey = signer.Sign(Bytes(Message));
        var noFrom = signer.Sign(Bytes("Subject: hi\r\n\r\nbody\r\n"));

        Assert.Equal((DkimOutcome.NoKey, "news.example.test", 0), (noKey.Outcome, noKey.FromDomain, noKey.HeaderFields.Length));
        Assert.Equal(DkimOutcome.NoFrom, noFrom.Outcome);
    }

    [Fact]
    public void KeyFilesThatCannotSignAreRefusedWithTheKeyNamed()
    {
        var weak = DkimTestKey.Rsa(_keys.Path, "example.test", "weak", bits: 1024);
        var ed = Key(DkimKeyFile.Ed25519Sha256, "example.test", "ed");
        var notPem = Path.Combine(_keys.Path, "not.pem");
        File.WriteAllText(notPem, "hello");
        var options = new DkimOptions
        {
            Keys =
            [
                new() { Domain = "example.test", Selector = "weak", KeyFile = weak.KeyFile },
                new() { Domain = "example.test", Selector = "ed", KeyFile = ed.KeyFile, Algorithm = DkimKeyFile.RsaSha256 },
                new() { Domain = "example.test", Selector = "x", KeyFile = notPem, Algorithm = DkimKeyFile.Ed25519Sha256 },
                new() { Domain = "bad domain", Selector = "s_1", KeyFile = "/nonexistent.pem", Algorithm = "rsa-sha1" },
            ],
            FallbackDomain = "esp.test",
        };

        Assert.Equal(
            [
                $"Dkim:Keys:0:KeyFile '{weak.KeyFile}' is a 1024-bit RSA key; at least 2048 bits are required",
                $"Dkim:Keys:1:KeyFile '{ed.KeyFile}' is not a key for rsa-sha256",
                $"Dkim:Keys:2:KeyFile '{notPem}' holds no private key",
                "Dkim:Keys:3:Domain 'bad domain' is not a domain name",
                "Dkim:Keys:3:Selector 's_1' is not a selector (letters, digits, '-' and '.')",
                "Dkim:Keys:3:KeyFile '/nonexistent.pem' has algorithm 'rsa-sha1'; use rsa-sha256 or ed25519-sha256",
                "Dkim:FallbackDomain 'esp.test' has no key in Dkim:Keys",
            ],
            options.Validate());
        Assert.Equal(["Dkim:Required is true but Dkim:Keys is empty: every message would be refused"], new DkimOptions { Required = true }.Validate());
    }

    private DkimTestKey Key(string algorithm, string domain, string selector) =>
        algorithm == DkimKeyFile.RsaSha256 ? DkimTestKey.Rsa(_keys.Path, domain, selector) : DkimTestKey.Ed25519(_keys.Path, domain, selector);

    private static DkimKey Loaded(DkimTestKey key)
    {
        var (privateKey, algorithm, problem) = DkimKeyFile.Load(key.KeyFile, key.Algorithm);
        Assert.Null(problem);
        return new DkimKey(key.Domain, key.Selector, algorithm, privateKey!);
    }

    private static MessageSigner Signer(IEnumerable<DkimTestKey> keys) => new(new DkimKeyRing(keys.Select(Loaded), null), TimeProvider.System);

    private static ReadOnlySequence<byte> Bytes(string text) => new(Encoding.ASCII.GetBytes(text));

    private static List<bool> Verify(string signed, params DkimTestKey[] keys) => DkimTestVerifier.Verify(signed, keys);

    private static Dictionary<string, string> Tags(string signed)
    {
        var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(signed)));
        var value = message.Headers[HeaderId.DkimSignature]!.Replace("\r\n", string.Empty, StringComparison.Ordinal);
        return value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(tag => tag.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => string.Concat(kv[1].Where(c => !char.IsWhiteSpace(c))));
    }
}
