using System.Text;
using System.Text.Unicode;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Parsing;

/// <summary>Splits a command line (without CRLF) into verb and argument. Pure; no state.</summary>
internal static class SmtpCommandParser
{
    private static readonly Dictionary<string, SmtpVerb> s_verbs = new(StringComparer.OrdinalIgnoreCase)
    {
        ["EHLO"] = SmtpVerb.Ehlo,
        ["HELO"] = SmtpVerb.Helo,
        ["MAIL"] = SmtpVerb.Mail,
        ["RCPT"] = SmtpVerb.Rcpt,
        ["DATA"] = SmtpVerb.Data,
        ["BDAT"] = SmtpVerb.Bdat,
        ["RSET"] = SmtpVerb.Rset,
        ["NOOP"] = SmtpVerb.Noop,
        ["QUIT"] = SmtpVerb.Quit,
        ["VRFY"] = SmtpVerb.Vrfy,
        ["EXPN"] = SmtpVerb.Expn,
        ["HELP"] = SmtpVerb.Help,
        ["STARTTLS"] = SmtpVerb.StartTls,
        ["AUTH"] = SmtpVerb.Auth,
    };

    private static readonly Dictionary<string, SmtpVerb>.AlternateLookup<ReadOnlySpan<char>> s_verbLookup =
        s_verbs.GetAlternateLookup<ReadOnlySpan<char>>();

    public static bool TryParse(ReadOnlySpan<byte> line, out SmtpCommand command, out SmtpReply error)
    {
        command = default;
        error = default;
        // A bare CR inside a command line is not a line ending and not text (RFC 5321 2.3.8).
        if (line.Contains((byte)'\r'))
        {
            error = SmtpReplies.ControlCharacterInParameter;
            return false;
        }
        var space = line.IndexOf((byte)' ');
        var verbBytes = space < 0 ? line : line[..space];
        Span<char> verbChars = stackalloc char[8];
        if (verbBytes.Length is 0 or > 8 || Encoding.ASCII.GetChars(verbBytes, verbChars) != verbBytes.Length
            || !s_verbLookup.TryGetValue(verbChars[..verbBytes.Length], out var verb))
        {
            error = verbBytes.Contains((byte)0) ? SmtpReplies.NulInCommand : SmtpReplies.CommandUnrecognized;
            return false;
        }
        var argument = space < 0 ? [] : line[(space + 1)..];
        // A NUL in an address or parameter of a known command is a parameter error (501), like CR or LF.
        if (argument.Contains((byte)0))
        {
            error = SmtpReplies.ControlCharacterInParameter;
            return false;
        }
        if (!Utf8.IsValid(argument))
        {
            error = SmtpReplies.SyntaxError;
            return false;
        }
        command = new SmtpCommand(verb, Encoding.UTF8.GetString(argument));
        return true;
    }
}
