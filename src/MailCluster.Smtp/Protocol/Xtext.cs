using System.Text;

namespace MailCluster.Smtp.Protocol;

/// <summary>RFC 3461 4 xtext encoding for ENVID and ORCPT values we send.</summary>
internal static class Xtext
{
    /// <summary>Encodes printable ASCII as itself except '+' and '=', everything else as "+" 2HEXDIG; null when not ASCII.</summary>
    public static string? Encode(string value)
    {
        if (!Ascii.IsValid(value))
        {
            return null;
        }
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            // RFC 3461 4: xchar = "!" (33) to "~" (126), except "+" and "=".
            if (c is >= '!' and <= '~' and not '+' and not '=')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('+').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }
}
