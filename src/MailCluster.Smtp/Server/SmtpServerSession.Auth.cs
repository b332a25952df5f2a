using System.Buffers;
using System.Text;
using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>
/// AUTH PLAIN (RFC 4616) and LOGIN on submission listeners (RFC 4954), over TLS only: the
/// mechanism's prompts, the client's base64 answers, and the host's verdict on the credentials.
/// </summary>
public sealed partial class SmtpServerSession
{
    /// <summary>RFC 4954 4: a line of the exchange may hold up to 12288 octets.</summary>
    private const int MaxAuthLineLength = 12288;

    private static readonly SmtpReply s_plainPrompt = new(334, null, string.Empty);
    private static readonly SmtpReply s_userPrompt = new(334, null, Convert.ToBase64String("Username:"u8));
    private static readonly SmtpReply s_passwordPrompt = new(334, null, Convert.ToBase64String("Password:"u8));

    private AuthPrompt _authPrompt;
    private string? _authUser;
    private string? _authPassword;

    private enum AuthPrompt
    {
        Plain,
        LoginUser,
        LoginPassword,
    }

    private Step StartAuth(string argument)
    {
        var refusal = !Info.IsSubmission ? SmtpReplies.AuthNotOffered
            : Info.AuthenticatedUser is not null ? SmtpReplies.AlreadyAuthenticated
            : Info.TlsProtocol is null ? SmtpReplies.EncryptionRequired
            : !SmtpStateTable.IsAllowed(_state, SmtpVerb.Auth) ? SmtpReplies.BadSequence
            : (SmtpReply?)null;
        if (refusal is { } refused)
        {
            Write(refused);
            return Step.Continue;
        }
        var space = argument.IndexOf(' ', StringComparison.Ordinal);
        var mechanism = space < 0 ? argument : argument[..space];
        var initial = space < 0 ? null : argument[(space + 1)..];
        return (mechanism.ToUpperInvariant(), initial) switch
        {
            ("PLAIN", null) => Prompt(AuthPrompt.Plain, s_plainPrompt),
            ("PLAIN", var response) => Answer(AuthPrompt.Plain, response),
            ("LOGIN", null) => Prompt(AuthPrompt.LoginUser, s_userPrompt),
            ("LOGIN", var user) => Answer(AuthPrompt.LoginUser, user),
            _ => Refuse(SmtpReplies.AuthMechanismUnknown),
        };
    }

    /// <summary>One line of the exchange after a 334 prompt.</summary>
    private Step ReadAuthResponse(ref ReadOnlySequence<byte> buffer)
    {
        if (TakeLine(ref buffer, MaxAuthLineLength, static session => session.Refuse(SmtpReplies.AuthBadEncoding), out var line) is { } next)
        {
            return next;
        }
        return Answer(_authPrompt, Encoding.ASCII.GetString(line));
    }

    private Step Answer(AuthPrompt prompt, string response)
    {
        _mode = Mode.Command;
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
            case AuthPrompt.LoginUser:
                _authUser = text;
                return Prompt(AuthPrompt.LoginPassword, s_passwordPrompt);
            case AuthPrompt.LoginPassword:
                _authPassword = text;
                return Step.Authenticate;
            default:
                // RFC 4616 2: [authzid] NUL authcid NUL passwd; acting for another identity is not offered.
                var parts = text.Split('\0');
                if (parts.Length != 3 || (parts[0].Length > 0 && parts[0] != parts[1]))
                {
                    return Refuse(SmtpReplies.AuthFailed);
                }
                (_authUser, _authPassword) = (parts[1], parts[2]);
                return Step.Authenticate;
        }
    }

    private async ValueTask AuthenticateAsync(CancellationToken cancellationToken)
    {
        var (user, password) = (_authUser!, _authPassword!);
        (_authUser, _authPassword) = (null, null);
        var verdict = await _host.AuthenticateAsync(Info, user, password, cancellationToken);
        if (verdict.User is { } canonical)
        {
            Info.AuthenticatedUser = canonical;
            Info.Authenticated?.Invoke();
        }
        Write(verdict.Reply);
        _closing |= verdict.Reply.Code == 421;
    }

    private Step Prompt(AuthPrompt prompt, SmtpReply reply)
    {
        (_authPrompt, _mode) = (prompt, Mode.AuthResponse);
        reply.WriteTo(_connection.Output);
        return Step.Continue;
    }

    private Step Refuse(SmtpReply reply)
    {
        (_authUser, _authPassword, _mode) = (null, null, Mode.Command);
        Write(reply);
        return Step.Continue;
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
