namespace MailCluster.Smtp.Protocol;

/// <summary>The well-known replies, each with its RFC 3463 enhanced code, so every caller says the same thing.</summary>
public static class SmtpReplies
{
    private static SmtpReply R(int code, int cls, int subject, int detail, string text) =>
        new(code, new EnhancedStatusCode(cls, subject, detail), text);

    public static readonly SmtpReply Ok = R(250, 2, 0, 0, "Ok");
    public static readonly SmtpReply SenderOk = R(250, 2, 1, 0, "Sender ok");
    public static readonly SmtpReply RecipientOk = R(250, 2, 1, 5, "Recipient ok");
    public static readonly SmtpReply CannotVerify = R(252, 2, 5, 0, "Cannot VRFY user, but will accept message and attempt delivery");
    public static readonly SmtpReply Help = R(214, 2, 0, 0, "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS");
    public static readonly SmtpReply ReadyToStartTls = R(220, 2, 0, 0, "Ready to start TLS");
    public static readonly SmtpReply Closing = R(221, 2, 0, 0, "Bye");

    // RFC 5321 4.2.2: 354 carries no enhanced code (RFC 2034 applies to 2xx, 4xx, 5xx).
    public static readonly SmtpReply StartMailInput = new(354, null, "End data with <CR><LF>.<CR><LF>");

    public static readonly SmtpReply CommandUnrecognized = R(500, 5, 5, 1, "Command unrecognized");
    public static readonly SmtpReply CommandLineTooLong = R(500, 5, 5, 2, "Command line too long (RFC 5321 4.5.3.1.4)");
    public static readonly SmtpReply BareLineFeedInCommand = R(500, 5, 5, 2, "Command line must end with CRLF (RFC 5321 2.3.8)");
    public static readonly SmtpReply NulInCommand = R(500, 5, 5, 2, "NUL octet in command line");
    public static readonly SmtpReply SyntaxError = R(501, 5, 5, 4, "Syntax error in parameters or arguments");
    public static readonly SmtpReply HeloNeedsDomain = R(501, 5, 5, 4, "Domain or address literal required");
    public static readonly SmtpReply BadSenderSyntax = R(501, 5, 1, 7, "Bad sender address syntax");
    public static readonly SmtpReply BadRecipientSyntax = R(501, 5, 1, 3, "Bad recipient address syntax");
    public static readonly SmtpReply ControlCharacterInParameter = R(501, 5, 5, 4, "CR, LF or NUL in address or parameter");
    public static readonly SmtpReply CommandNotImplemented = R(502, 5, 5, 1, "Command not implemented");
    public static readonly SmtpReply BadSequence = R(503, 5, 5, 1, "Bad sequence of commands");
    public static readonly SmtpReply ParameterNotImplemented = R(504, 5, 5, 4, "Command parameter not implemented");
    public static readonly SmtpReply ParameterNotRecognized = R(555, 5, 5, 4, "MAIL FROM/RCPT TO parameter not recognized or not implemented");
    public static readonly SmtpReply NonAsciiAddressWithoutSmtpUtf8 = R(553, 5, 6, 7, "Non-ASCII address requires the SMTPUTF8 parameter (RFC 6531 3.4)");

    public static readonly SmtpReply MessageTooLarge = R(552, 5, 3, 4, "Message size exceeds fixed maximum message size");
    public static readonly SmtpReply TooManyRecipients = R(452, 4, 5, 3, "Too many recipients");
    public static readonly SmtpReply RelayDenied = R(554, 5, 7, 1, "Relay access denied");
    public static readonly SmtpReply BareLineEndingInData = R(554, 5, 6, 0, "Message contains a bare CR or LF; lines must end with CRLF (RFC 5321 2.3.8)");
    public static readonly SmtpReply TextLineTooLong = R(554, 5, 6, 0, "Message contains a line longer than the limit (RFC 5321 4.5.3.1.6)");
    public static readonly SmtpReply NulInData = R(554, 5, 6, 0, "Message contains a NUL octet (RFC 6152 2)");

    public static readonly SmtpReply SynchronizationError = R(554, 5, 5, 0, "Improper command pipelining (RFC 2920 3.1), closing connection");
    public static readonly SmtpReply TooManyBadCommands = R(421, 4, 7, 0, "Too many errors, closing connection");
    public static readonly SmtpReply TooManyConnections = R(421, 4, 7, 0, "Too many connections, try again later");
    public static readonly SmtpReply IdleTimeout = R(421, 4, 4, 2, "Idle timeout, closing connection");
    // RFC 4954 6 and RFC 3463: the AUTH replies.
    public static readonly SmtpReply AuthSucceeded = R(235, 2, 7, 0, "Authentication successful");
    public static readonly SmtpReply AuthFailed = R(535, 5, 7, 8, "Authentication credentials invalid");
    public static readonly SmtpReply AuthRequired = R(530, 5, 7, 0, "Authentication required");
    public static readonly SmtpReply EncryptionRequired = R(538, 5, 7, 11, "Encryption required for requested authentication mechanism");
    public static readonly SmtpReply AuthNotOffered = R(502, 5, 5, 1, "AUTH is offered on the submission ports only");
    public static readonly SmtpReply AlreadyAuthenticated = R(503, 5, 5, 1, "Already authenticated");
    public static readonly SmtpReply AuthMechanismUnknown = R(504, 5, 5, 4, "Unrecognized authentication type; use PLAIN or LOGIN");
    public static readonly SmtpReply AuthCanceled = R(501, 5, 0, 0, "Authentication canceled");
    public static readonly SmtpReply AuthBadEncoding = R(501, 5, 5, 2, "Cannot decode the authentication response");
    public static readonly SmtpReply AuthBlocked = R(421, 4, 7, 0, "Too many failed authentications from your address, try again later");
    public static readonly SmtpReply AuthUserLocked = R(454, 4, 7, 0, "Temporary authentication failure: too many failed attempts for this user, try again later");
    public static readonly SmtpReply AuthBusy = R(454, 4, 7, 0, "Temporary authentication failure: too many authentications in progress, try again later");
    public static readonly SmtpReply UserHourlyLimit = R(451, 4, 7, 1, "This user's hourly message limit is reached, try again later");
    /// <summary>RFC 5321 4.5.3.1.10: 452, so the client sends the rest in another transaction; a feedback report is not relayed with other mail.</summary>
    public static readonly SmtpReply ReportsApart = R(452, 4, 5, 3, "Feedback reports and other mail go in separate transactions; send the rest in another message");

    public static readonly SmtpReply UserRecipientLimit = R(452, 4, 5, 3, "Too many recipients for this user; send the rest in another message");
    public static readonly SmtpReply SenderNotAllowed = R(550, 5, 7, 1, "This user may not send as that sender domain");
    public static readonly SmtpReply MoreThanOneFrom = R(550, 5, 6, 0, "A message has exactly one From: field (RFC 5322 3.6)");
    public static readonly SmtpReply Suppressed = R(550, 5, 1, 1, "Recipient is on the suppression list: it bounced as nonexistent before, or an operator listed it");
    public static readonly SmtpReply UnsignedRefused = R(550, 5, 7, 1, "No DKIM key for the From: domain, and this relay signs all mail it accepts");
    public static readonly SmtpReply SessionTooLong = R(421, 4, 4, 2, "Session time limit reached, closing connection");
    public static readonly SmtpReply ShuttingDown = R(421, 4, 3, 2, "Service shutting down, try again later");
    public static readonly SmtpReply TlsNotAvailable = R(454, 4, 7, 0, "TLS not available");
    public static readonly SmtpReply AlreadySecure = R(503, 5, 5, 1, "TLS already active");

    /// <summary>The one reply for "the spool could not commit" (disk, database): the client keeps the message.</summary>
    public static readonly SmtpReply SpoolUnavailable = R(451, 4, 3, 0, "Queue temporarily unavailable, try again later");

    /// <summary>The spool is out of space (RFC 3463 4.3.1).</summary>
    public static readonly SmtpReply SpoolFull = R(452, 4, 3, 1, "Insufficient system storage, try again later");

    // Client side: replies the egress client makes up when it must not send to a peer; they carry the reason to the DSN.

    /// <summary>RFC 6152 3: 8-bit content must not go to a server that did not announce 8BITMIME.</summary>
    public static readonly SmtpReply EightBitMimeNotSupported = R(554, 5, 6, 3, "Message has 8-bit content but the remote server does not support 8BITMIME");

    /// <summary>RFC 6531 3.2: a message that needs SMTPUTF8 must not go to a server that did not announce it.</summary>
    public static readonly SmtpReply SmtpUtf8NotSupported = R(553, 5, 6, 7, "Message needs SMTPUTF8 but the remote server does not support it");

    /// <summary>RFC 1870 6: a client must not send a message larger than the server's announced SIZE.</summary>
    public static SmtpReply ExceedsRemoteSize(long size, long maxSize) =>
        MessageTooLarge.WithText($"Message size {size} exceeds the remote server's limit of {maxSize} octets");

    /// <summary>
    /// The egress pool a message names (its user's, or a trusted client's pool header) is not
    /// configured: refused at DATA (RFC 3463 5.7.1, not authorized), never sent through another.
    /// </summary>
    public static SmtpReply PoolNotConfigured(string pool) => R(550, 5, 7, 1, $"Egress pool '{Printable(pool)}' is not configured");

    /// <summary>A trusted client's pool header fields name different egress pools: which one it meant is not guessed.</summary>
    public static SmtpReply ConflictingPools(string header) => R(550, 5, 7, 1, $"The message's {Printable(header)} fields name different egress pools");

    public static SmtpReply Queued(string queueId) => R(250, 2, 0, 0, $"Ok: queued as {queueId}");

    // RFC 5321 4.2.1: reply text is printable US-ASCII; a name from a message or a file is cut to a pool
    // name's length (64) and anything else in it shown as '?'.
    private static string Printable(string text)
    {
        var shown = text.Length > 64 ? text[..64] + "..." : text;
        return shown.AsSpan().ContainsAnyExceptInRange(' ', '~')
            ? string.Create(shown.Length, shown, static (span, source) =>
            {
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = source[i] is >= ' ' and <= '~' ? source[i] : '?';
                }
            })
            : shown;
    }
}
