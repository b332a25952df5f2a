using MailCluster.Smtp.Parsing;

namespace MailCluster.Smtp.Server;

/// <summary>
/// Which verbs each state accepts. A verb not listed gets 503 from one place in the session;
/// handlers choose the next state.
/// </summary>
internal static class SmtpStateTable
{
    private static readonly SmtpVerb[] s_anytime = [SmtpVerb.Rset, SmtpVerb.Noop, SmtpVerb.Quit, SmtpVerb.Help, SmtpVerb.Vrfy, SmtpVerb.Expn];

    private static readonly Dictionary<SmtpState, HashSet<SmtpVerb>> s_allowed = new()
    {
        [SmtpState.Initial] = [.. s_anytime, SmtpVerb.Ehlo, SmtpVerb.Helo, SmtpVerb.StartTls],
        // RFC 4954 4: AUTH after EHLO and outside a transaction.
        [SmtpState.Ready] = [.. s_anytime, SmtpVerb.Ehlo, SmtpVerb.Helo, SmtpVerb.StartTls, SmtpVerb.Mail, SmtpVerb.Auth],
        [SmtpState.Mail] = [.. s_anytime, SmtpVerb.Ehlo, SmtpVerb.Helo, SmtpVerb.Rcpt],
        [SmtpState.Rcpt] = [.. s_anytime, SmtpVerb.Ehlo, SmtpVerb.Helo, SmtpVerb.Rcpt, SmtpVerb.Data, SmtpVerb.Bdat],
        // RFC 3030 3: between chunks only BDAT continues the message; RSET, NOOP and QUIT are harmless.
        [SmtpState.Bdat] = [SmtpVerb.Bdat, SmtpVerb.Rset, SmtpVerb.Noop, SmtpVerb.Quit],
    };

    public static bool IsAllowed(SmtpState state, SmtpVerb verb) => s_allowed[state].Contains(verb);

    /// <summary>
    /// RFC 2920 3.1: these end a pipelined group; nothing may follow them before their reply.
    /// STARTTLS is handled apart: what follows it is discarded, not refused (RFC 3207 4.2).
    /// </summary>
    public static bool MustEndPipelineGroup(SmtpVerb verb) =>
        verb is SmtpVerb.Ehlo or SmtpVerb.Helo or SmtpVerb.Data or SmtpVerb.Noop or SmtpVerb.Vrfy or SmtpVerb.Expn or SmtpVerb.Auth;
}
