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

    private static SmtpExtension Keyword(string keyword) => keyword.ToUpperInvariant() switch
    {
        "PIPELINING" => SmtpExtension.Pipelining,
        "SIZE" => SmtpExtension.Size,
        "8BITMIME" => SmtpExtension.EightBitMime,
        "SMTPUTF8" => SmtpExtension.SmtpUtf8,
        "CHUNKING" => SmtpExtension.Chunking,
        "STARTTLS" => SmtpExtension.StartTls,
        "ENHANCEDSTATUSCODES" => SmtpExtension.EnhancedStatusCodes,
        "DSN" => SmtpExtension.Dsn,
        _ => SmtpExtension.None,
    };
}
