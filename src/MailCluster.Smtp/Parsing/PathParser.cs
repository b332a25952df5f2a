using System.Text;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Parsing;

/// <summary>
/// Parses RFC 5321 4.1.2 paths: <c>"&lt;" [ A-d-l ":" ] Mailbox "&gt;"</c>. Pure: input is the
/// decoded argument text, output a value or a reason. International (RFC 6531 3.3) local parts
/// and domains are accepted as UTF-8; the caller decides whether SMTPUTF8 allows them.
/// </summary>
internal static class PathParser
{
    // RFC 5321 4.5.3.1.1-3: size limits of the parts.
    internal const int MaxLocalPartOctets = 64;
    internal const int MaxDomainOctets = 255;
    internal const int MaxPathOctets = 256;

    /// <summary>Parses a path at the start of <paramref name="text"/>; <paramref name="rest"/> is what follows the closing '>'.</summary>
    public static bool TryParsePath(ReadOnlySpan<char> text, bool allowNull, out Mailbox? mailbox, out ReadOnlySpan<char> rest)
    {
        mailbox = null;
        rest = default;
        if (text.IsEmpty || text[0] != '<')
        {
            return false;
        }
        var close = FindClosingBracket(text);
        if (close < 0)
        {
            return false;
        }
        var inner = text[1..close];
        rest = text[(close + 1)..];
        if (Encoding.UTF8.GetByteCount(inner) + 2 > MaxPathOctets)
        {
            return false;
        }
        if (inner.IsEmpty)
        {
            return allowNull;
        }
        // RFC 5321 4.1.2 / appendix C: a source route (A-d-l) is accepted and ignored.
        if (inner[0] == '@')
        {
            var colon = inner.IndexOf(':');
            if (colon < 0 || !IsSourceRoute(inner[..colon]))
            {
                return false;
            }
            inner = inner[(colon + 1)..];
        }
        return TryParseMailbox(inner, out mailbox);
    }

    public static bool TryParseMailbox(ReadOnlySpan<char> text, out Mailbox? mailbox)
    {
        mailbox = null;
        var at = LocalPartEnd(text);
        if (at <= 0 || at >= text.Length - 1 || text[at] != '@')
        {
            return false;
        }
        var local = text[..at];
        var domain = text[(at + 1)..];
        if (Encoding.UTF8.GetByteCount(local) > MaxLocalPartOctets || !IsDomainOrLiteral(domain))
        {
            return false;
        }
        mailbox = new Mailbox(local.ToString(), domain.ToString());
        return true;
    }

    /// <summary>Index of the '@' that ends the local part, or -1 when the local part is malformed.</summary>
    private static int LocalPartEnd(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return -1;
        }
        if (text[0] == '"')
        {
            // Quoted-string = DQUOTE *QcontentSMTP DQUOTE; quoted-pairSMTP = "\" %d32-126
            for (var i = 1; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '\\')
                {
                    if (++i >= text.Length || text[i] < 32 || text[i] == 127)
                    {
                        return -1;
                    }
                }
                else if (c == '"')
                {
                    return i + 1 < text.Length && text[i + 1] == '@' ? i + 1 : -1;
                }
                else if (c < 32 || c == 127)
                {
                    return -1;
                }
            }
            return -1;
        }
        // Dot-string = Atom *("." Atom)
        var atomStart = true;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '@')
            {
                return atomStart ? -1 : i;
            }
            if (c == '.')
            {
                if (atomStart)
                {
                    return -1;
                }
                atomStart = true;
            }
            else if (IsAtext(c))
            {
                atomStart = false;
            }
            else
            {
                return -1;
            }
        }
        return -1;
    }

    // RFC 5322 3.2.3 atext, widened by RFC 6531 3.3 to UTF8-non-ascii.
    private static bool IsAtext(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c) || (c > 127 && !char.IsControl(c));

    public static bool IsDomainOrLiteral(ReadOnlySpan<char> domain)
    {
        if (domain.IsEmpty || Encoding.UTF8.GetByteCount(domain) > MaxDomainOctets)
        {
            return false;
        }
        return domain[0] == '[' ? AddressLiteral.TryParse(domain, out _) : IsDomain(domain);
    }

    /// <summary>RFC 5321 4.1.2 Domain: sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str]; U-labels allowed (RFC 6531 3.3).</summary>
    public static bool IsDomain(ReadOnlySpan<char> domain)
    {
        foreach (var range in domain.Split('.'))
        {
            var label = domain[range];
            if (label.IsEmpty || label.Length > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }
            foreach (var c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || (c > 127 && !char.IsControl(c) && !char.IsWhiteSpace(c))))
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static bool IsSourceRoute(ReadOnlySpan<char> route)
    {
        foreach (var range in route.Split(','))
        {
            var hop = route[range];
            if (hop.Length < 2 || hop[0] != '@' || !IsDomainOrLiteral(hop[1..]))
            {
                return false;
            }
        }
        return true;
    }

    private static int FindClosingBracket(ReadOnlySpan<char> text)
    {
        var quoted = false;
        for (var i = 1; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\' when quoted:
                    i++;
                    break;
                case '"':
                    quoted = !quoted;
                    break;
                case '>' when !quoted:
                    return i;
            }
        }
        return -1;
    }
}
