namespace MailCluster.Smtp.Server;

/// <summary>Where a session stands in RFC 5321 3.3's mail transaction.</summary>
internal enum SmtpState
{
    /// <summary>Greeted (or just after STARTTLS, RFC 3207 4.2); no EHLO/HELO yet.</summary>
    Initial,

    /// <summary>EHLO/HELO done, no transaction.</summary>
    Ready,

    /// <summary>MAIL accepted.</summary>
    Mail,

    /// <summary>At least one RCPT accepted.</summary>
    Rcpt,

    /// <summary>Inside a BDAT sequence whose LAST chunk has not come (RFC 3030 3).</summary>
    Bdat,
}
