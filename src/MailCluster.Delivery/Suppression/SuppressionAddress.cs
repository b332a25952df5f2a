using System.Text;

namespace MailCluster.Delivery.Suppression;

/// <summary>
/// The one form of an address the suppression list compares: a quoted local part whose content
/// is a plain dot-atom loses its quotes (RFC 5321 4.1.2: <c>"user"@d</c> and <c>user@d</c> are the
/// same mailbox, and a sender should not quote what needs none), quoted-pairs are undone, and
/// the whole address is lower-cased (the list has always matched without case).
/// </summary>
internal static class SuppressionAddress
{
    public static string Canonical(string address)
    {
        if (address.Length < 2 || address[0] != '"')
        {
            return address.ToLowerInvariant();
        }
        var close = ClosingQuote(address);
        if (close < 0 || close + 1 >= address.Length || address[close + 1] != '@')
        {
            return address.ToLowerInvariant();
        }
        var local = Unescape(address.AsSpan(1, close - 1));
        var domain = address[(close + 1)..];
        var form = IsDotAtom(local) ? local : Quote(local);
        return (form + domain).ToLowerInvariant();
    }

    /// <summary>The index of the quote that ends the quoted-string begun at 0, or -1.</summary>
    private static int ClosingQuote(string address)
    {
        for (var i = 1; i < address.Length; i++)
        {
            if (address[i] == '\\')
            {
                i++;
            }
            else if (address[i] == '"')
            {
                return i;
            }
        }
        return -1;
    }

    private static string Unescape(ReadOnlySpan<char> quoted)
    {
        var builder = new StringBuilder(quoted.Length);
        for (var i = 0; i < quoted.Length; i++)
        {
            // RFC 5321 4.1.2: quoted-pairSMTP is "\" followed by the character itself.
            if (quoted[i] == '\\' && i + 1 < quoted.Length)
            {
                i++;
            }
            builder.Append(quoted[i]);
        }
        return builder.ToString();
    }

    private static string Quote(string local) => "\"" + local.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>RFC 5321 4.1.2 Dot-string: atoms of atext separated by single dots.</summary>
    private static bool IsDotAtom(string local)
    {
        if (local.Length == 0 || local[0] == '.' || local[^1] == '.' || local.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }
        foreach (var c in local)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '.' || "!#$%&'*+-/=?^_`{|}~".Contains(c, StringComparison.Ordinal) || c > '\u007f'))
            {
                return false;
            }
        }
        return true;
    }
}
