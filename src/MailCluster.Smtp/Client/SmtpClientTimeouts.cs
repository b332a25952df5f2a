namespace MailCluster.Smtp.Client;

/// <summary>
/// Per-phase deadlines of the egress client. Each is an overall deadline for the whole reply
/// (or write), not an idle timer, so a peer that trickles one byte at a time cannot hold a worker.
/// RFC 5321 4.5.3.2 gives minimum per-command values; <see cref="Validate"/> holds them as floors.
/// </summary>
public sealed class SmtpClientTimeouts
{
    /// <summary>The 220 greeting. RFC 5321 4.5.3.2.1: 5 minutes.</summary>
    public TimeSpan Greeting { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Replies to EHLO, HELO, STARTTLS, RSET and QUIT. RFC 5321 gives none; 5 minutes, as for MAIL.</summary>
    public TimeSpan Ehlo { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The TLS handshake after STARTTLS. Not in RFC 3207; default 1 minute.</summary>
    public TimeSpan TlsHandshake { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The reply to MAIL FROM. RFC 5321 4.5.3.2.2: 5 minutes.</summary>
    public TimeSpan MailFrom { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The reply to each RCPT TO. RFC 5321 4.5.3.2.3: 5 minutes.</summary>
    public TimeSpan RcptTo { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The 354 reply to DATA. RFC 5321 4.5.3.2.4: 2 minutes.</summary>
    public TimeSpan DataInitiation { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Each write of content (a flush the peer must drain). RFC 5321 4.5.3.2.5: 3 minutes.</summary>
    public TimeSpan DataBlock { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>The reply after the final dot or the last BDAT chunk. RFC 5321 4.5.3.2.6: 10 minutes.</summary>
    public TimeSpan DataTermination { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>One message per option that is not positive or is below its RFC 5321 4.5.3.2 floor, named by its configuration path; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string section)
    {
        var errors = new List<string>();
        Positive(errors, section, nameof(Ehlo), Ehlo);
        Positive(errors, section, nameof(TlsHandshake), TlsHandshake);
        AtLeast(errors, section, nameof(Greeting), Greeting, TimeSpan.FromMinutes(5), "4.5.3.2.1");
        AtLeast(errors, section, nameof(MailFrom), MailFrom, TimeSpan.FromMinutes(5), "4.5.3.2.2");
        AtLeast(errors, section, nameof(RcptTo), RcptTo, TimeSpan.FromMinutes(5), "4.5.3.2.3");
        AtLeast(errors, section, nameof(DataInitiation), DataInitiation, TimeSpan.FromMinutes(2), "4.5.3.2.4");
        AtLeast(errors, section, nameof(DataBlock), DataBlock, TimeSpan.FromMinutes(3), "4.5.3.2.5");
        AtLeast(errors, section, nameof(DataTermination), DataTermination, TimeSpan.FromMinutes(10), "4.5.3.2.6");
        return errors;
    }

    private static void Positive(List<string> errors, string section, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{section}:{name} is {value}; it must be positive");
        }
    }

    private static void AtLeast(List<string> errors, string section, string name, TimeSpan value, TimeSpan floor, string rfcSection)
    {
        if (value < floor)
        {
            errors.Add($"{section}:{name} is {value}; RFC 5321 {rfcSection} requires at least {floor}");
        }
    }
}
