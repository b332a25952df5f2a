using System.Globalization;
using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>
/// The commands around mail transactions (RFC 5321 4.1.1): EHLO/HELO, RSET, NOOP, HELP, VRFY,
/// EXPN, QUIT, and STARTTLS (RFC 3207). The state table has let each one through already.
/// </summary>
internal sealed class SmtpCommandHandlers(SmtpSessionInfo info, ISmtpConnection connection, SmtpServerLimits limits, MailTransactionHandlers transactions)
{
    public CommandOutcome Execute(SmtpCommand command) => command.Verb switch
    {
        SmtpVerb.Ehlo => Ehlo(command.Argument, extended: true),
        SmtpVerb.Helo => Ehlo(command.Argument, extended: false),
        SmtpVerb.Rset => new CommandOutcome(SmtpReplies.Ok, transactions.End()),
        SmtpVerb.Noop => new CommandOutcome(SmtpReplies.Ok),
        SmtpVerb.Vrfy => new CommandOutcome(SmtpReplies.CannotVerify),
        SmtpVerb.Expn => new CommandOutcome(SmtpReplies.CommandNotImplemented),
        SmtpVerb.Help => new CommandOutcome(SmtpReplies.Help),
        SmtpVerb.Quit => new CommandOutcome(SmtpReplies.Closing, Closes: true),
        SmtpVerb.StartTls => StartTls(command.Argument),
        _ => new CommandOutcome(SmtpReplies.CommandUnrecognized),
    };

    private CommandOutcome Ehlo(string argument, bool extended)
    {
        var name = argument.Trim();
        if (name.Length == 0 || name.Contains(' '))
        {
            return new CommandOutcome(SmtpReplies.HeloNeedsDomain);
        }
        // RFC 5321 4.1.4: EHLO in the middle of a session resets it like RSET.
        transactions.Drop();
        info.HeloName = name;
        info.IsExtended = extended;
        var greeting = $"{info.ServerName} greets {name}";
        if (!extended)
        {
            return new CommandOutcome(new SmtpReply(250, null, greeting), SmtpState.Ready);
        }
        var lines = new List<string>
        {
            greeting,
            SmtpExtensions.KeywordOf(SmtpExtension.Pipelining),
            SmtpExtensions.KeywordOf(SmtpExtension.Size) + " " + limits.MaxMessageSize.ToString(CultureInfo.InvariantCulture),
            SmtpExtensions.KeywordOf(SmtpExtension.EightBitMime),
            SmtpExtensions.KeywordOf(SmtpExtension.SmtpUtf8),
            SmtpExtensions.KeywordOf(SmtpExtension.EnhancedStatusCodes),
            SmtpExtensions.KeywordOf(SmtpExtension.Chunking),
            SmtpExtensions.KeywordOf(SmtpExtension.Dsn),
        };
        if (connection.IsTlsAvailable)
        {
            lines.Add(SmtpExtensions.KeywordOf(SmtpExtension.StartTls));
        }
        // RFC 8314 / RFC 4954 4: credentials only over TLS, and only where submission is served.
        if (info.IsSubmission && info.TlsProtocol is not null && info.AuthenticatedUser is null)
        {
            lines.Add("AUTH PLAIN LOGIN");
        }
        // RFC 2034 3: EHLO replies carry no enhanced codes.
        return new CommandOutcome(new SmtpReply(250, null, string.Join('\n', lines)), SmtpState.Ready);
    }

    private CommandOutcome StartTls(string argument)
    {
        if (argument.Length > 0)
        {
            return new CommandOutcome(SmtpReplies.SyntaxError);
        }
        if (!connection.IsTlsAvailable)
        {
            return new CommandOutcome(info.TlsProtocol is null ? SmtpReplies.TlsNotAvailable : SmtpReplies.AlreadySecure);
        }
        // RFC 3207 4.2: after the handshake the session starts over, EHLO included.
        info.HeloName = null;
        info.IsExtended = false;
        transactions.Drop();
        return new CommandOutcome(SmtpReplies.ReadyToStartTls, SmtpState.Initial, SessionStep.StartTls);
    }
}
