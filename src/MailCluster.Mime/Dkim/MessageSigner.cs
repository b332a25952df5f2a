using System.Buffers;
using MailCluster.Mime.Headers;
using MailCluster.Smtp.Server;
using MimeKit;
using MimeKit.Cryptography;

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
/// Signs a message once, at acceptance (RFC 6376): MimeKit computes the DKIM-Signature fields
/// over a parsed copy, and the caller puts them before the original bytes, which are what is
/// spooled and sent; MimeKit's re-serialised message, which may differ, is never used.
/// </summary>
public sealed class MessageSigner(DkimKeyRing keys)
{
    /// <summary>
    /// The header fields signed: RFC 6376 5.4.1's list. From and Subject are named once more than a
    /// message may have them (RFC 6376 5.4.2, "oversigning"), so that none can be added later.
    /// </summary>
    public static readonly IReadOnlyList<string> SignedHeaders =
    [
        "From", "From", "Reply-To", "Subject", "Subject", "Date", "To", "Cc",
        "Resent-Date", "Resent-From", "Resent-To", "Resent-Cc", "In-Reply-To", "References",
        "List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-ID", "Content-Description", "Message-ID",
    ];

    private static readonly FormatOptions s_crlf = CrlfOptions();

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
    /// Signs only for <paramref name="authors"/>' domain, the one the caller checked: a message whose
    /// parsed From: says otherwise is not signed. <paramref name="content"/> is seekable and read
    /// from its start; MimeKit parses it in persistent mode, so the body is hashed from the
    /// stream (a file, for a large message) and never copied into memory.
    /// </summary>
    public DkimSignature Sign(Stream content, AuthorFields authors)
    {
        if (keys.IsEmpty)
        {
            // Nothing to sign with: no parse.
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
        MimeMessage message;
        try
        {
            content.Position = 0;
            message = MimeMessage.Load(content, persistent: true);
        }
        catch (FormatException)
        {
            return DkimSignature.None(DkimOutcome.Unparseable, null);
        }
        // The parse that is signed must name the checked domain, and nothing else, as its author.
        if (message.From.Mailboxes.FirstOrDefault()?.Domain is not { } parsedDomain
            || !parsedDomain.Equals(fromDomain, StringComparison.OrdinalIgnoreCase)
            || message.Headers.Count(h => h.Id == HeaderId.From) != 1)
        {
            return DkimSignature.None(DkimOutcome.NoFrom, fromDomain);
        }
        var before = message.Headers.Count;
        foreach (var key in signing)
        {
            key.Signer().Sign(s_crlf, message, [.. SignedHeaders]);
        }
        // Each signature field went in at the top: the newest first, as a later signer's would.
        using var fields = new MemoryStream();
        foreach (var header in message.Headers.Take(message.Headers.Count - before))
        {
            fields.Write(header.RawField);
            fields.WriteByte((byte)':');
            WriteCrlf(fields, header.RawValue);
        }
        return new DkimSignature(DkimOutcome.WithSignature, fromDomain, fields.ToArray());
    }

    /// <summary>The folded value with every line ending as CRLF, as SMTP carries it (RFC 5321 2.3.8).</summary>
    private static void WriteCrlf(MemoryStream fields, byte[] value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == (byte)'\n' && (i == 0 || value[i - 1] != (byte)'\r'))
            {
                fields.WriteByte((byte)'\r');
            }
            fields.WriteByte(value[i]);
        }
    }

    private static FormatOptions CrlfOptions()
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        return options;
    }
}
