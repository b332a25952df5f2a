namespace MailCluster.Smtp.Server;

/// <summary>Limits of one SMTP server session. Bound from <c>Smtp:Limits</c>; the floors are the RFC minimums.</summary>
public sealed class SmtpServerLimits
{
    /// <summary>Command line octets including CRLF. Default and floor 512 (RFC 5321 4.5.3.1.4).</summary>
    public int MaxCommandLineLength { get; set; } = 512;

    /// <summary>Text line octets in DATA including CRLF. Default and floor 1000 (RFC 5321 4.5.3.1.6).</summary>
    public int MaxLineLength { get; set; } = 1000;

    /// <summary>Recipients per message. Default 1000; floor 100 (RFC 5321 4.5.3.1.8).</summary>
    public int MaxRecipientsPerMessage { get; set; } = 1000;

    /// <summary>Message size in octets, announced in SIZE (RFC 1870). Default 50 MiB; floor 64 KiB (RFC 5321 4.5.3.1.7).</summary>
    public long MaxMessageSize { get; set; } = 50L * 1024 * 1024;

    /// <summary>
    /// Octets of one message's content kept in memory as it arrives; beyond it the content goes to
    /// a file in <see cref="SpillDirectory"/> and is read from there (signing, spooling), so a silo
    /// holds at most this much per session whatever the messages' size. Default 1 MiB; floor 64 KiB.
    /// </summary>
    public long MaxContentInMemory { get; set; } = 1024 * 1024;

    /// <summary>
    /// Where content beyond <see cref="MaxContentInMemory"/> is written while its message arrives
    /// (deleted when the transaction ends). Default empty: <c>incoming</c> under <c>Spool:Path</c>,
    /// on the spool's volume. Files left by a crash are removed at start.
    /// </summary>
    public string SpillDirectory { get; set; } = string.Empty;

    /// <summary>Time without input before 421. Default and floor 5 minutes (RFC 5321 4.5.3.2.7).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A session's whole time, so that a client trickling bytes cannot hold a slot for ever: then
    /// 421, even inside a transaction (nothing of it was acknowledged). Default 1 hour; floor 10
    /// minutes, the wait RFC 5321 4.5.3.2.6 allows for one message's data.
    /// </summary>
    public TimeSpan MaxSessionDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Erroneous commands tolerated before 421 and disconnect. Default 20, like Postfix's smtpd_hard_error_limit.</summary>
    public int MaxBadCommands { get; set; } = 20;

    /// <summary>Validates against the RFC floors; each failure names the option, its value and the rule.</summary>
    public IEnumerable<string> Validate(string section = "Smtp:Limits")
    {
        if (MaxCommandLineLength < 512)
        {
            yield return $"{section}:MaxCommandLineLength is {MaxCommandLineLength}; RFC 5321 4.5.3.1.4 requires at least 512";
        }
        if (MaxLineLength < 1000)
        {
            yield return $"{section}:MaxLineLength is {MaxLineLength}; RFC 5321 4.5.3.1.6 requires at least 1000";
        }
        if (MaxRecipientsPerMessage < 100)
        {
            yield return $"{section}:MaxRecipientsPerMessage is {MaxRecipientsPerMessage}; RFC 5321 4.5.3.1.8 requires at least 100";
        }
        if (MaxMessageSize < 64 * 1024)
        {
            yield return $"{section}:MaxMessageSize is {MaxMessageSize}; RFC 5321 4.5.3.1.7 requires at least 65536";
        }
        if (MaxContentInMemory < 64 * 1024)
        {
            yield return $"{section}:MaxContentInMemory is {MaxContentInMemory}; must be at least 65536";
        }
        if (IdleTimeout < TimeSpan.FromMinutes(5))
        {
            yield return $"{section}:IdleTimeout is {IdleTimeout}; RFC 5321 4.5.3.2.7 requires at least 5 minutes";
        }
        if (MaxSessionDuration < TimeSpan.FromMinutes(10))
        {
            yield return $"{section}:MaxSessionDuration is {MaxSessionDuration}; must be at least 00:10:00 (RFC 5321 4.5.3.2.6 allows 10 minutes for one message's data)";
        }
        if (MaxBadCommands < 1)
        {
            yield return $"{section}:MaxBadCommands is {MaxBadCommands}; must be at least 1";
        }
    }
}
