namespace MailCluster.Smtp.Protocol;

/// <summary>The service extensions an SMTP server announced in its EHLO reply (RFC 5321 4.1.1.1).</summary>
[Flags]
public enum SmtpExtension
{
    None = 0,
    Pipelining = 1,
    Size = 2,
    EightBitMime = 4,
    SmtpUtf8 = 8,
    Chunking = 16,
    StartTls = 32,
    EnhancedStatusCodes = 64,
    Dsn = 128,
}

/// <summary>What a peer supports, parsed from its EHLO reply; <see cref="None"/> after HELO.</summary>
public readonly record struct SmtpExtensions(SmtpExtension Supported, long? MaxSize)
{
    public static readonly SmtpExtensions None = new(SmtpExtension.None, null);

    public bool Has(SmtpExtension extension) => (Supported & extension) == extension;

    /// <summary>
    /// Reads the EHLO reply: the first line is the server's greeting, each further line
    /// <c>ehlo-keyword *(SP ehlo-param)</c> (RFC 5321 4.1.1.1). Unknown keywords are ignored.
    /// </summary>
    public static SmtpExtensions Parse(SmtpReply ehloReply)
    {
        var supported = SmtpExtension.None;
        long? maxSize = null;
        var lines = ehloReply.Text.Split('\n');
        foreach (var line in lines.AsSpan(1))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                continue;
            }
            var extension = Keyword(parts[0]);
            supported |= extension;
            // RFC 1870 4: "SIZE" [SP number]; 0 or no number means no fixed limit.
            if (extension == SmtpExtension.Size && parts.Length > 1 && long.TryParse(parts[1], out var size) && size > 0)
            {
                maxSize = size;
            }
        }
        return new SmtpExtensions(supported, maxSize);
    }

    /// <summary>The EHLO keyword of an extension (RFC 5321 4.1.1.1), as our server announces it and our client reads it.</summary>
    public static string KeywordOf(SmtpExtension extension) => s_keywords.First(k => k.Extension == extension).Keyword;

    private static readonly (SmtpExtension Extension, string Keyword)[] s_keywords =
    [
        (SmtpExtension.Pipelining, "PIPELINING"),
        (SmtpExtension.Size, "SIZE"),
        (SmtpExtension.EightBitMime, "8BITMIME"),
        (SmtpExtension.SmtpUtf8, "SMTPUTF8"),
        (SmtpExtension.EnhancedStatusCodes, "ENHANCEDSTATUSCODES"),
        (SmtpExtension.Chunking, "CHUNKING"),
        (SmtpExtension.Dsn, "DSN"),
        (SmtpExtension.StartTls, "STARTTLS"),
    ];

    private static SmtpExtension Keyword(string keyword)
    {
        foreach (var (extension, name) in s_keywords)
        {
            if (name.Equals(keyword, StringComparison.OrdinalIgnoreCase))
            {
                return extension;
            }
        }
        return SmtpExtension.None;
    }
}
