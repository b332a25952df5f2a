using System.Diagnostics.CodeAnalysis;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Parsing;

/// <summary>
/// The arguments of MAIL and RCPT (RFC 5321 4.1.1.2, 4.1.1.3): the path, then the ESMTP
/// parameters after one space. Pure: what the session may accept is decided by its handlers.
/// </summary>
internal static class EnvelopeCommandParser
{
    /// <summary><c>FROM:&lt;reverse-path&gt; [parameters]</c>; the null path &lt;&gt; is allowed (RFC 5321 4.5.5).</summary>
    public static bool TryParseMail(string argument, out Mailbox? sender, out MailParameters parameters, out SmtpReply error)
    {
        parameters = MailParameters.None;
        if (!TryParsePath(argument, "FROM:", allowNull: true, out sender, out var rest))
        {
            error = SmtpReplies.BadSenderSyntax;
            return false;
        }
        if (!EsmtpParameterParser.TryParseMail(rest, out parameters, out error))
        {
            return false;
        }
        // RFC 6531 3.4: a non-ASCII sender needs the SMTPUTF8 parameter on the same command.
        if (sender is { IsInternational: true } && !parameters.SmtpUtf8)
        {
            error = SmtpReplies.NonAsciiAddressWithoutSmtpUtf8;
            return false;
        }
        return true;
    }

    /// <summary><c>TO:&lt;forward-path&gt; [parameters]</c>.</summary>
    public static bool TryParseRcpt(string argument, [NotNullWhen(true)] out Mailbox? recipient, out RcptParameters parameters, out SmtpReply error)
    {
        parameters = RcptParameters.None;
        if (!TryParsePath(argument, "TO:", allowNull: false, out recipient, out var rest))
        {
            error = SmtpReplies.BadRecipientSyntax;
            return false;
        }
        return EsmtpParameterParser.TryParseRcpt(rest, out parameters, out error);
    }

    private static bool TryParsePath(string argument, string prefix, bool allowNull, out Mailbox? mailbox, out ReadOnlySpan<char> rest)
    {
        mailbox = null;
        rest = default;
        if (!argument.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        // Tolerate "MAIL FROM: <a@b>" as most MTAs do; RFC 5321 4.1.2 has no space there.
        var text = argument.AsSpan(prefix.Length).TrimStart(' ');
        return PathParser.TryParsePath(text, allowNull, out mailbox, out rest) && (rest.IsEmpty || rest[0] == ' ');
    }
}
