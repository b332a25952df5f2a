using System.Buffers;
using MailCluster.Smtp.Server;
using MimeKit;

namespace MailCluster.Mime.Headers;

/// <summary>
/// The author fields of a message (RFC 5322 3.6.2: From and Sender) as a DKIM signer and a
/// receiver see them: every field, parsed from its raw bytes. A check on a decoded copy of the
/// first From: only would let a second From:, or an encoded-word that reads as an address once
/// decoded, hide the mailbox that is really signed for and shown.
/// </summary>
public sealed record AuthorFields(int FromFieldCount, IReadOnlyList<MailboxAddress> From, IReadOnlyList<MailboxAddress> Sender)
{
    private static readonly AuthorFields s_none = new(0, [], []);

    /// <summary>RFC 5322 3.6: exactly one From: field; without a parseable mailbox in it there is no author.</summary>
    public bool HasOneFromField => FromFieldCount == 1 && From.Count > 0;

    /// <summary>The domain a DKIM signature is made for: the first From: mailbox's (RFC 6376 3.9 puts d= in line with it).</summary>
    public string? SigningDomain => HasOneFromField && From[0].Domain is { Length: > 0 } domain ? domain : null;

    /// <summary>Every domain the message claims to be from or sent by.</summary>
    public IEnumerable<string> Domains => From.Concat(Sender).Select(m => m.Domain);

    /// <summary>
    /// Counts the From: fields of the header section without parsing any of them: all that a
    /// message nobody signs or vouches for is checked for (RFC 5322 3.6, exactly one), at the cost
    /// of one pass over the header octets. The stream is read from its start, and left after them.
    /// </summary>
    public static AuthorFields CountFrom(Stream message)
    {
        message.Position = 0;
        Span<byte> buffer = stackalloc byte[4096];
        var count = 0;
        // State: how much of "\r\nfrom" the bytes just read match, starting at a line start.
        var lineStart = true;
        var matched = 0;
        var previous = (byte)0;
        int read;
        while ((read = message.Read(buffer)) > 0)
        {
            foreach (var b in buffer[..read])
            {
                if (lineStart && b is (byte)'\r')
                {
                    // RFC 5322 2.1: an empty line ends the header section.
                    return new AuthorFields(count, [], []);
                }
                // matched is 0 only at a line's start: a field name begins there.
                if (matched is >= 0 and < 4 && (b | 0x20) == "from"[matched])
                {
                    matched++;
                }
                else if (matched == 4 && b is (byte)':' or (byte)' ' or (byte)'\t')
                {
                    // RFC 5322 4.5 (obsolete syntax) allows white space before the colon.
                    if (b == (byte)':')
                    {
                        count++;
                        matched = -1;
                    }
                }
                else
                {
                    matched = -1;
                }
                lineStart = b == (byte)'\n' && previous == (byte)'\r';
                if (lineStart)
                {
                    matched = 0;
                }
                previous = b;
            }
        }
        return new AuthorFields(count, [], []);
    }

    /// <summary>Reads only the header section (RFC 5322 2.1: it ends at the first empty line).</summary>
    public static AuthorFields Read(ReadOnlySequence<byte> message)
    {
        using var stream = new SequenceStream(HeaderSection.Split(message, out _));
        return Read(stream);
    }

    /// <summary>Reads the header section from the start of <paramref name="message"/> (a seekable stream, left where the headers end).</summary>
    public static AuthorFields Read(Stream message)
    {
        HeaderList headers;
        try
        {
            message.Position = 0;
            headers = HeaderList.Load(message);
        }
        catch (FormatException)
        {
            return s_none;
        }
        var fromFields = 0;
        var from = new List<MailboxAddress>();
        var sender = new List<MailboxAddress>();
        foreach (var header in headers)
        {
            var into = header.Id switch
            {
                HeaderId.From => from,
                HeaderId.Sender => sender,
                _ => null,
            };
            if (into is null)
            {
                continue;
            }
            fromFields += header.Id == HeaderId.From ? 1 : 0;
            // The raw bytes, as MimeMessage parses them for the signer: encoded-words stay inside phrases.
            if (InternetAddressList.TryParse(ParserOptions.Default, header.RawValue, out var addresses))
            {
                into.AddRange(addresses.Mailboxes);
            }
        }
        return new AuthorFields(fromFields, from, sender);
    }
}
