namespace MailCluster.Smtp.Protocol;

/// <summary>
/// The RFC 3461 keywords of RET and NOTIFY, both ways: the one table that the ingress parser, the
/// client's command lines and the spool's columns share.
/// </summary>
public static class DsnParameterText
{
    private static readonly (DsnNotify Flag, string Keyword)[] s_notifyKeywords =
        [(DsnNotify.Never, "NEVER"), (DsnNotify.Success, "SUCCESS"), (DsnNotify.Failure, "FAILURE"), (DsnNotify.Delay, "DELAY")];

    /// <summary>RFC 3461 4.3: <c>FULL</c> or <c>HDRS</c>; null when unspecified.</summary>
    public static string? Format(DsnReturn value) => value switch
    {
        DsnReturn.Full => "FULL",
        DsnReturn.Headers => "HDRS",
        _ => null,
    };

    /// <summary>RFC 3461 4.1: NEVER alone, or a comma list of SUCCESS, FAILURE, DELAY; null when unspecified.</summary>
    public static string? Format(DsnNotify value) =>
        value == DsnNotify.Unspecified ? null
        : value.HasFlag(DsnNotify.Never) ? "NEVER"
        : string.Join(',', s_notifyKeywords.Where(k => k.Flag != DsnNotify.Never && value.HasFlag(k.Flag)).Select(k => k.Keyword));

    /// <summary>Parses a RET value, case-insensitively; false for anything but FULL or HDRS.</summary>
    public static bool TryParseReturn(string? text, out DsnReturn value)
    {
        value = text?.ToUpperInvariant() switch
        {
            "FULL" => DsnReturn.Full,
            "HDRS" => DsnReturn.Headers,
            _ => DsnReturn.Unspecified,
        };
        return value != DsnReturn.Unspecified;
    }

    /// <summary>
    /// Parses a NOTIFY list, case-insensitively and tolerating spaces after commas; false for an
    /// unknown or repeated keyword, an empty list, or NEVER combined with another keyword.
    /// </summary>
    public static bool TryParseNotify(string? text, out DsnNotify value)
    {
        value = DsnNotify.Unspecified;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var flag = Array.Find(s_notifyKeywords, k => k.Keyword.Equals(part, StringComparison.OrdinalIgnoreCase)).Flag;
            if (flag == DsnNotify.Unspecified || (value & flag) != 0)
            {
                value = DsnNotify.Unspecified;
                return false;
            }
            value |= flag;
        }
        if (value != DsnNotify.Never && value.HasFlag(DsnNotify.Never))
        {
            value = DsnNotify.Unspecified;
            return false;
        }
        return true;
    }
}
