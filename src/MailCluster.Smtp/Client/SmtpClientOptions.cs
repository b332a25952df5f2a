namespace MailCluster.Smtp.Client;

/// <summary>Settings of the egress SMTP client: its name, deadlines and the bounds on what a peer may send.</summary>
public sealed class SmtpClientOptions
{
    /// <summary>Sent with EHLO/HELO (RFC 5321 4.1.1.1: the client's fully qualified domain name).</summary>
    public string HeloName { get; set; } = "localhost";

    public SmtpClientTimeouts Timeouts { get; set; } = new();

    /// <summary>Longest reply line including code and CRLF. RFC 5321 4.5.3.1.5: 512, which is also the floor.</summary>
    public int MaxReplyLineLength { get; set; } = 512;

    /// <summary>Most lines in one multiline reply; a peer sending more is dropped. Default 100 (an EHLO reply has about 15).</summary>
    public int MaxReplyLines { get; set; } = 100;

    /// <summary>Most octets in one reply. Default 16 KiB.</summary>
    public int MaxReplyBytes { get; set; } = 16 * 1024;

    /// <summary>Send content with BDAT (RFC 3030) when the peer offers CHUNKING: no dot-stuffing pass over the content. Otherwise DATA. Default true.</summary>
    public bool UseChunking { get; set; } = true;

    /// <summary>One message per invalid option, named by its configuration path under <paramref name="section"/>; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string section = "Delivery:Client")
    {
        var errors = new List<string>(Timeouts.Validate($"{section}:{nameof(Timeouts)}"));
        if (string.IsNullOrWhiteSpace(HeloName))
        {
            errors.Add($"{section}:{nameof(HeloName)} is empty; RFC 5321 4.1.1.1 requires a domain");
        }
        if (MaxReplyLineLength < 512)
        {
            errors.Add($"{section}:{nameof(MaxReplyLineLength)} is {MaxReplyLineLength}; RFC 5321 4.5.3.1.5 requires at least 512");
        }
        if (MaxReplyLines < 1)
        {
            errors.Add($"{section}:{nameof(MaxReplyLines)} is {MaxReplyLines}; it must be at least 1");
        }
        if (MaxReplyBytes < MaxReplyLineLength)
        {
            errors.Add($"{section}:{nameof(MaxReplyBytes)} is {MaxReplyBytes}; it must be at least {nameof(MaxReplyLineLength)} ({MaxReplyLineLength})");
        }
        return errors;
    }
}
