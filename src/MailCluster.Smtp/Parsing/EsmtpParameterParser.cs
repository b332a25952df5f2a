using System.Text;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Parsing;

/// <summary>
/// Parses the esmtp-param list after a path (RFC 5321 4.1.2: <c>esmtp-keyword ["=" esmtp-value]</c>,
/// separated by SP). Unknown keywords get 555 (RFC 5321 4.1.1.11); repeated ones 501.
/// </summary>
internal static class EsmtpParameterParser
{
    public static bool TryParseMail(ReadOnlySpan<char> text, out MailParameters parameters, out SmtpReply error)
    {
        parameters = MailParameters.None;
        error = default;
        long? size = null;
        var body = BodyType.SevenBit;
        var smtpUtf8 = false;
        var ret = DsnReturn.Unspecified;
        string? envId = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (keyword, value) in Enumerate(text))
        {
            if (!TrySplit(keyword, seen, ref error))
            {
                return false;
            }
            var ok = keyword.ToUpperInvariant() switch
            {
                "SIZE" => TryParseSize(value, out size),
                "BODY" => TryParseBody(value, out body, ref error),
                "SMTPUTF8" => value is null && (smtpUtf8 = true),
                "RET" => DsnParameterText.TryParseReturn(value, out ret),
                "ENVID" => TryDecodeXtext(value, 100, out envId, ref error),
                // RFC 4954 5: AUTH=<> or AUTH=mailbox (xtext) names who submitted the message; it is
                // accepted and not trusted (the session's own AUTH decides who the client is).
                "AUTH" => TryDecodeXtext(value, 500, out _, ref error),
                _ => Fail(SmtpReplies.ParameterNotRecognized, ref error),
            };
            if (!ok)
            {
                error = error == default ? SmtpReplies.SyntaxError : error;
                return false;
            }
        }
        parameters = new MailParameters(size, body, smtpUtf8, ret, envId);
        return true;
    }

    public static bool TryParseRcpt(ReadOnlySpan<char> text, out RcptParameters parameters, out SmtpReply error)
    {
        parameters = RcptParameters.None;
        error = default;
        var notify = DsnNotify.Unspecified;
        string? orcpt = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (keyword, value) in Enumerate(text))
        {
            if (!TrySplit(keyword, seen, ref error))
            {
                return false;
            }
            var ok = keyword.ToUpperInvariant() switch
            {
                "NOTIFY" => DsnParameterText.TryParseNotify(value, out notify),
                "ORCPT" => TryParseOrcpt(value, out orcpt, ref error),
                _ => Fail(SmtpReplies.ParameterNotRecognized, ref error),
            };
            if (!ok)
            {
                error = error == default ? SmtpReplies.SyntaxError : error;
                return false;
            }
        }
        parameters = new RcptParameters(notify, orcpt);
        return true;
    }

    private static List<(string Keyword, string? Value)> Enumerate(ReadOnlySpan<char> text)
    {
        var list = new List<(string, string?)>();
        foreach (var range in text.Split(' '))
        {
            var token = text[range];
            if (token.IsEmpty)
            {
                continue;
            }
            var eq = token.IndexOf('=');
            list.Add(eq < 0 ? (token.ToString(), null) : (token[..eq].ToString(), token[(eq + 1)..].ToString()));
        }
        return list;
    }

    // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); each keyword at most once.
    private static bool TrySplit(string keyword, HashSet<string> seen, ref SmtpReply error)
    {
        if (keyword.Length == 0 || !char.IsAsciiLetterOrDigit(keyword[0])
            || !keyword.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || !seen.Add(keyword))
        {
            error = SmtpReplies.SyntaxError;
            return false;
        }
        return true;
    }

    private static bool Fail(SmtpReply reply, ref SmtpReply error)
    {
        error = reply;
        return false;
    }

    // RFC 1870 6: size-value = 1*20DIGIT
    private static bool TryParseSize(string? value, out long? size)
    {
        size = null;
        if (value is null or { Length: 0 or > 20 } || !value.All(char.IsAsciiDigit))
        {
            return false;
        }
        size = long.TryParse(value, out var n) ? n : long.MaxValue;
        return true;
    }

    private static bool TryParseBody(string? value, out BodyType body, ref SmtpReply error)
    {
        body = BodyType.SevenBit;
        switch (value?.ToUpperInvariant())
        {
            case "7BIT":
                return true;
            case "8BITMIME":
                body = BodyType.EightBitMime;
                return true;
            case "BINARYMIME":
                // RFC 3030 3: BINARYMIME is not advertised, so it is an unimplemented parameter value.
                return Fail(SmtpReplies.ParameterNotImplemented, ref error);
            default:
                return false;
        }
    }

    // RFC 3461 4.2: ORCPT=addr-type ";" xtext
    private static bool TryParseOrcpt(string? value, out string? orcpt, ref SmtpReply error)
    {
        orcpt = null;
        var semi = value?.IndexOf(';') ?? -1;
        if (value is null || semi <= 0)
        {
            return false;
        }
        if (!TryDecodeXtext(value[(semi + 1)..], 500, out var address, ref error))
        {
            return false;
        }
        orcpt = $"{value[..semi]};{address}";
        return true;
    }

    /// <summary>RFC 3461 4: xtext = *( xchar / hexchar ), hexchar = "+" 2HEXDIG. Decoded CR, LF or NUL is refused.</summary>
    internal static bool TryDecodeXtext(string? value, int maxLength, out string? decoded, ref SmtpReply error)
    {
        decoded = null;
        if (string.IsNullOrEmpty(value) || value.Length > maxLength)
        {
            return false;
        }
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '+')
            {
                if (i + 2 >= value.Length || !char.IsAsciiHexDigitUpper(value[i + 1]) || !char.IsAsciiHexDigitUpper(value[i + 2]))
                {
                    return false;
                }
                bytes.Add(Convert.FromHexString(value.AsSpan(i + 1, 2))[0]);
                i += 2;
            }
            else if (c is >= (char)33 and <= (char)126 && c != '=')
            {
                bytes.Add((byte)c);
            }
            else
            {
                return false;
            }
        }
        if (bytes.Exists(b => b is (byte)'\r' or (byte)'\n' or 0))
        {
            return Fail(SmtpReplies.ControlCharacterInParameter, ref error);
        }
        decoded = Encoding.UTF8.GetString(bytes.ToArray());
        return true;
    }
}
