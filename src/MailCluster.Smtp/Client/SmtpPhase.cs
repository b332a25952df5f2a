namespace MailCluster.Smtp.Client;

/// <summary>Which command a reply answered; some codes mean different things per phase (RFC 5321 4.3.2).</summary>
public enum SmtpPhase
{
    Greeting,
    Ehlo,
    StartTls,
    Mail,
    Rcpt,
    Data,
    EndOfData,
}
