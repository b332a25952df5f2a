using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using MailCluster.Mime.Headers;
using MailCluster.Smtp.Server;

namespace MailCluster.Mime.Dkim;

/// <summary>What signing did to one message.</summary>
public enum DkimOutcome
{
    /// <summary>Signed with every key of its signing domain.</summary>
    WithSignature,

    /// <summary>Neither its From: domain, a parent of it nor the fallback has a key.</summary>
    NoKey,

    /// <summary>It has no From: address to choose a key by, or more than one From: field (RFC 5322 3.6 requires exactly one).</summary>
    NoFrom,

    /// <summary>Its header section could not be parsed.</summary>
    Unparseable,
}

/// <summary>The signature header fields to put before the message, or why there are none.</summary>
public sealed record DkimSignature(DkimOutcome Outcome, string? FromDomain, byte[] HeaderFields)
{
    public static DkimSignature None(DkimOutcome outcome, string? fromDomain) => new(outcome, fromDomain, []);

    /// <summary>The message with the signature fields before it (the message itself is not copied).</summary>
    public ReadOnlySequence<byte> Before(ReadOnlySequence<byte> message) => HeaderFields.Length == 0 ? message : SequenceChain.Join(new ReadOnlySequence<byte>(HeaderFields), message);
}

/// <summary>
/// Signs a message once, at acceptance (RFC 6376, relaxed/relaxed): the body's hash and the signed
/// header fields are read from the original octets in one pass, and the DKIM-Signature fields go
/// before those octets, which are what is spooled and sent. Nothing is parsed into a second copy.
/// </summary>
public sealed class MessageSigner(DkimKeyRing keys, TimeProvider time)
{
    /// <summary>
    /// The header fields signed: RFC 6376 5.4.1's list. From and Subject are named once more than a
    /// message has them (RFC 6376 5.4.2, "oversigning"), so that none can be added later.
    /// </summary>
    public static readonly IReadOnlyList<string> SignedHeaders =
    [
        "From", "From", "Reply-To", "Subject", "Subject", "Date", "To", "Cc",
        "Resent-Date", "Resent-From", "Resent-To", "Resent-Cc", "In-Reply-To", "References",
        "List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-ID", "Content-Description", "Message-ID",
    ];

    /// <summary>Each name of <see cref="SignedHeaders"/> once, with how many times more than present it is signed.</summary>
    private static readonly (string Name, int Extra)[] s_names =
        [.. SignedHeaders.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Select(g => (g.Key.ToLowerInvariant(), g.Count() - 1))];

    public bool HasKeys => !keys.IsEmpty;

    /// <summary>Signs for the message's own author domain (the DSNs this silo writes).</summary>
    public DkimSignature Sign(ReadOnlySequence<byte> content)
    {
        if (keys.IsEmpty)
        {
            return DkimSignature.None(DkimOutcome.NoKey, null);
        }
        using var stream = new SequenceStream(content);
        return Sign(stream, AuthorFields.Read(stream));
    }

    /// <summary>
    /// Signs only for <paramref name="authors"/>' domain, the one the caller checked in the same
    /// raw From: field that is signed. <paramref name="content"/> is seekable and read from its
    /// start, a large message from its file, never loaded whole.
    /// </summary>
    public DkimSignature Sign(Stream content, AuthorFields authors)
    {
        if (keys.IsEmpty)
        {
            // Nothing to sign with: no read.
            return DkimSignature.None(DkimOutcome.NoKey, null);
        }
        if (authors.SigningDomain is not { } fromDomain)
        {
            return DkimSignature.None(DkimOutcome.NoFrom, null);
        }
        var signing = keys.For(fromDomain);
        if (signing.Count == 0)
        {
            return DkimSignature.None(DkimOutcome.NoKey, fromDomain);
        }
        if (RawHeaderFields.Read(content) is not { } fields)
        {
            return DkimSignature.None(DkimOutcome.Unparseable, null);
        }
        var (signedNames, signedData) = SignedFields(fields);
        var common = $"c=relaxed/relaxed; t={time.GetUtcNow().ToUnixTimeSeconds()};\r\n\th={signedNames};\r\n\tbh={Convert.ToBase64String(fields.BodyHash)};\r\n\tb=";
        using var output = new MemoryStream();
        // Each signature goes on top, the newest first, as a later signer's would.
        for (var k = signing.Count - 1; k >= 0; k--)
        {
            var key = signing[k];
            var unsigned = Encoding.ASCII.GetBytes($"DKIM-Signature: v=1; a={key.AlgorithmTag}; d={key.Domain}; s={key.Selector};\r\n\t{common}");
            output.Write(unsigned);
            WriteFolded(output, Convert.ToBase64String(key.SignDigest(Digest(signedData, unsigned))));
        }
        return new DkimSignature(DkimOutcome.WithSignature, fromDomain, output.ToArray());
    }

    /// <summary>
    /// The h= tag and the canonical fields it signs (RFC 6376 5.4.2): for each name, its instances
    /// from the last up, then the oversigned names, which sign nothing where no instance is left.
    /// </summary>
    private static (string Names, byte[] Data) SignedFields(RawHeaderFields fields)
    {
        var names = new StringBuilder();
        var lineLength = 0;
        var data = new MemoryStream();
        var canonical = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            foreach (var (name, extra) in s_names)
            {
                var present = 0;
                for (var i = fields.Count - 1; i >= 0; i--)
                {
                    if (!fields.IsNamed(i, name))
                    {
                        continue;
                    }
                    var field = fields.Field(i);
                    if (canonical.Length < RelaxedHeader.MaxLength(field.Length))
                    {
                        ArrayPool<byte>.Shared.Return(canonical);
                        canonical = ArrayPool<byte>.Shared.Rent(RelaxedHeader.MaxLength(field.Length));
                    }
                    data.Write(canonical, 0, RelaxedHeader.Write(field, canonical, lineEnd: true));
                    present++;
                }
                for (var n = 0; n < present + extra; n++)
                {
                    if (names.Length > 0 && lineLength + name.Length > 70)
                    {
                        // Folding between names keeps each line short (RFC 6376 3.5 allows FWS around the colons).
                        names.Append(":\r\n\t ");
                        lineLength = 0;
                    }
                    else if (names.Length > 0)
                    {
                        names.Append(':');
                        lineLength++;
                    }
                    names.Append(name);
                    lineLength += name.Length;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(canonical);
        }
        return (names.ToString(), data.ToArray());
    }

    /// <summary>RFC 6376 3.7: the signed fields, then this DKIM-Signature field with an empty b= and no final CRLF.</summary>
    private static byte[] Digest(byte[] signedData, byte[] unsignedField)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(signedData);
        var canonical = new byte[RelaxedHeader.MaxLength(unsignedField.Length)];
        hash.AppendData(canonical, 0, RelaxedHeader.Write(unsignedField, canonical, lineEnd: false));
        return hash.GetHashAndReset();
    }

    /// <summary>The b= value in lines of at most 76 characters, ending the field.</summary>
    private static void WriteFolded(MemoryStream output, string signature)
    {
        for (var i = 0; i < signature.Length; i += 76)
        {
            if (i > 0)
            {
                output.Write("\r\n\t "u8);
            }
            output.Write(Encoding.ASCII.GetBytes(signature, i, Math.Min(76, signature.Length - i)));
        }
        output.Write("\r\n"u8);
    }
}
