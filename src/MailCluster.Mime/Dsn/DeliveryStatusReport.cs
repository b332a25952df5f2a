using System.Buffers;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Mime.Dsn;

/// <summary>RFC 3464 2.3.3 Action.</summary>
public enum DsnAction
{
    Failed,
    Delayed,
    Delivered,
}

/// <summary>One recipient's block of a delivery status notification (RFC 3464 2.3).</summary>
/// <param name="FinalRecipient">The address as we tried it (2.3.2).</param>
/// <param name="Status">The RFC 3463 enhanced code (2.3.4).</param>
public sealed record DsnRecipient(string FinalRecipient, DsnAction Action, EnhancedStatusCode Status)
{
    /// <summary>The ORCPT value as given at submission, <c>addr-type;address</c> (2.3.1).</summary>
    public string? OriginalRecipient { get; init; }

    /// <summary>The MX host that answered, when there was one (2.3.5).</summary>
    public string? RemoteMta { get; init; }

    /// <summary>The remote server's reply as text, e.g. <c>550 5.1.1 No such user</c>, or our own reason (2.3.6).</summary>
    public string? DiagnosticCode { get; init; }

    public DateTimeOffset? LastAttemptDate { get; init; }

    /// <summary>For <see cref="DsnAction.Delayed"/>: when we give up (2.3.9).</summary>
    public DateTimeOffset? WillRetryUntil { get; init; }

    /// <summary>What the failure means for the sender's list (InvalidRecipient, QuotaIssues...), as the extension field <c>X-MailCluster-Category</c> (RFC 3464 7: X- fields are for private use).</summary>
    public string? Category { get; init; }
}

/// <summary>
/// What a DSN reports about one message. The DSN goes to <paramref name="EnvelopeSender"/>, and
/// the caller must send it with the null reverse-path <c>MAIL FROM:&lt;&gt;</c> (RFC 3464 2,
/// RFC 5321 4.5.5), and never for a message whose own sender was null.
/// </summary>
/// <param name="OriginalMessage">The message as stored (CRLF lines of at most 998 octets, as ingress accepted it).</param>
public sealed record DeliveryStatusReport(
    string EnvelopeSender,
    DateTimeOffset ArrivalDate,
    IReadOnlyList<DsnRecipient> Recipients,
    ReadOnlySequence<byte> OriginalMessage)
{
    /// <summary>The ENVID given at submission (RFC 3464 2.2.1).</summary>
    public string? OriginalEnvelopeId { get; init; }

    /// <summary>RET (RFC 3461 4.3): the full message only when asked for; otherwise its headers.</summary>
    public DsnReturn Return { get; init; }
}

/// <summary>A built DSN.</summary>
/// <param name="Content">The whole message, CRLF line endings.</param>
/// <param name="RequiresSmtpUtf8">True when an address is non-ASCII and the report is the RFC 6533 global form: send it with SMTPUTF8.</param>
public sealed record DsnMessage(byte[] Content, bool RequiresSmtpUtf8);

/// <summary>Who signs the DSN.</summary>
public sealed class DsnOptions
{
    /// <summary>Our host name, for Reporting-MTA (RFC 3464 2.2.2) and the default From address.</summary>
    public string ReportingMta { get; set; } = "localhost";

    /// <summary>The From address; default <c>MAILER-DAEMON@</c><see cref="ReportingMta"/>.</summary>
    public string? PostmasterAddress { get; set; }

    /// <summary>RET=FULL returns the whole original up to this size, else its header section, cut at a field boundary to this size (RFC 3461 4.3).</summary>
    public long MaxReturnedContent { get; set; } = 100 * 1024;
}
