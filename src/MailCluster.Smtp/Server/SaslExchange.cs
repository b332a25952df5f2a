using System.Text;
using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>
/// AUTH PLAIN (RFC 4616) and LOGIN on submission listeners (RFC 4954), over TLS only: the
/// mechanism's prompts, the client's base64 answers, and the host's verdict on the credentials.
/// </summary>
internal sealed class SaslExchange(SmtpSessionInfo info, ISmtpSessionHost host)
{
    /// <summary>RFC 4954 4: a line of the exchange may hold up to 12288 octets.</summary>
    public const int MaxResponseLength = 12288;

    private static readonly SmtpReply s_plainPrompt = new(334, null, string.Empty);
    private static readonly SmtpReply s_userPrompt = new(334, null, Convert.ToBase64String("Username:"u8));
    private static readonly SmtpReply s_passwordPrompt = new(334, null, Convert.ToBase64String("Password:"u8));

    private Prompt? _awaiting;
    private string? _user;
    private string? _password;

    private enum Prompt
    {
        Plain,
        LoginUser,
        LoginPassword,
    }

    /// <summary>A 334 prompt is out: the next line is the client's answer, not a command.</summary>
    public bool AwaitsResponse => _awaiting is not null;

    /// <summary><c>AUTH mechanism [initial-response]</c> (RFC 4954 4).</summary>
    public CommandOutcome Begin(string argument, SmtpState state)
    {
        var refusal = !info.IsSubmission ? SmtpReplies.AuthNotOffered
            : info.AuthenticatedUser is not null ? SmtpReplies.AlreadyAuthenticated
            : info.TlsProtocol is null ? SmtpReplies.EncryptionRequired
            : !SmtpStateTable.IsAllowed(state, SmtpVerb.Auth) ? SmtpReplies.BadSequence
            : (SmtpReply?)null;
        if (refusal is not null)
        {
            return new CommandOutcome(refusal);
        }
        var space = argument.IndexOf(' ', StringComparison.Ordinal);
        var mechanism = space < 0 ? argument : argument[..space];
        var initial = space < 0 ? null : argument[(space + 1)..];
        return (mechanism.ToUpperInvariant(), initial) switch
        {
            ("PLAIN", null) => Ask(Prompt.Plain, s_plainPrompt),
            ("PLAIN", var response) => Take(Prompt.Plain, response),
            ("LOGIN", null) => Ask(Prompt.LoginUser, s_userPrompt),
            ("LOGIN", var user) => Take(Prompt.LoginUser, user),
            _ => Refuse(SmtpReplies.AuthMechanismUnknown),
        };
    }

    /// <summary>One line of the exchange after a 334 prompt.</summary>
    public CommandOutcome Answer(string response) => Take(_awaiting!.Value, response);

    /// <summary>Ends the exchange, answering <paramref name="reply"/>.</summary>
    public CommandOutcome Refuse(SmtpReply reply)
    {
        End();
        return new CommandOutcome(reply);
    }

    /// <summary>Ends the exchange without a reply (the loop answers for the line that ended it).</summary>
    public void End() => (_awaiting, _user, _password) = (null, null, null);

    /// <summary>The host's verdict on the credentials; 421 (an address that failed too often) ends the session.</summary>
    public async ValueTask<CommandOutcome> AuthenticateAsync(CancellationToken cancellationToken)
    {
        var (user, password) = (_user!, _password!);
        End();
        var verdict = await host.AuthenticateAsync(info, user, password, cancellationToken);
        if (verdict.User is { } canonical)
        {
            info.AuthenticatedUser = canonical;
            info.Authenticated?.Invoke();
        }
        return new CommandOutcome(verdict.Reply, Closes: verdict.Reply.Code == 421);
    }

    private CommandOutcome Take(Prompt prompt, string response)
    {
        _awaiting = null;
        // RFC 4954 4: "*" cancels the exchange.
        if (response == "*")
        {
            return Refuse(SmtpReplies.AuthCanceled);
        }
        if (!TryDecode(response, out var text))
        {
            return Refuse(SmtpReplies.AuthBadEncoding);
        }
        switch (prompt)
        {
            case Prompt.LoginUser:
                _user = text;
                return Ask(Prompt.LoginPassword, s_passwordPrompt);
            case Prompt.LoginPassword:
                _password = text;
                return new CommandOutcome(null, Step: SessionStep.Authenticate);
            default:
                // RFC 4616 2: [authzid] NUL authcid NUL passwd; acting for another identity is not offered.
                var parts = text.Split('\0');
                if (parts.Length != 3 || (parts[0].Length > 0 && parts[0] != parts[1]))
                {
                    return Refuse(SmtpReplies.AuthFailed);
                }
                (_user, _password) = (parts[1], parts[2]);
                return new CommandOutcome(null, Step: SessionStep.Authenticate);
        }
    }

    private CommandOutcome Ask(Prompt prompt, SmtpReply reply)
    {
        _awaiting = prompt;
        return new CommandOutcome(reply);
    }

    private static bool TryDecode(string base64, out string text)
    {
        text = string.Empty;
        var bytes = new byte[(base64.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(base64, bytes, out var written))
        {
            return false;
        }
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, written);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
