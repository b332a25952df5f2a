namespace MailCluster.Smtp.Protocol;

/// <summary>Why an SMTP peer's behaviour broke the connection.</summary>
public enum SmtpProtocolFault
{
    /// <summary>The peer sent something that is not SMTP: a malformed, overlong or endless reply, or unexpected bytes.</summary>
    Violation,

    /// <summary>The peer closed the connection while a reply was due.</summary>
    ConnectionClosed,

    /// <summary>A phase's overall deadline (<c>SmtpClientTimeouts</c>) passed before its reply was complete.</summary>
    Timeout,

    /// <summary>The TLS handshake after STARTTLS failed (including a certificate the policy refused).</summary>
    TlsFailed,
}

/// <summary>
/// The only exception the egress client throws for a peer's behaviour. It means "drop this
/// connection": the caller disposes it and treats recipients still in flight as not attempted
/// (deferred). SMTP replies, 4xx and 5xx included, are values, never this exception.
/// </summary>
public sealed class SmtpProtocolException : Exception
{
    public SmtpProtocolException(SmtpProtocolFault fault, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Fault = fault;
    }

    public SmtpProtocolFault Fault { get; }
}
