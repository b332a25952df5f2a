namespace MailCluster.Smtp.Parsing;

internal enum SmtpVerb
{
    Unknown,
    Ehlo,
    Helo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Expn,
    Help,
    StartTls,
    Auth,
}

/// <summary>A parsed command line: the verb and the rest of the line after one SP, decoded.</summary>
internal readonly record struct SmtpCommand(SmtpVerb Verb, string Argument);
