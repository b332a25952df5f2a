namespace MailCluster.Delivery.MtaSts;

/// <summary>
/// The <c>_mta-sts</c> TXT record of RFC 8461 3.1: <c>v=STSv1; id=20260101T000000;</c>. Only its
/// id matters to a sender: a new id means the policy changed and must be fetched again.
/// </summary>
internal static class MtaStsRecord
{
    private const string Version = "v=STSv1";

    /// <summary>
    /// The policy id from the TXT records at <c>_mta-sts.domain</c>, or null when the domain has no
    /// usable record. Records not starting with <c>v=STSv1</c> are discarded; if not exactly one
    /// remains, or it is invalid, the domain has no policy (RFC 8461 3.1).
    /// </summary>
    public static string? IdFrom(IEnumerable<string> texts)
    {
        var candidates = texts.Where(t => t.StartsWith(Version, StringComparison.Ordinal)
            && (t.Length == Version.Length || t[Version.Length] is ';' or ' ' or '\t')).ToList();
        return candidates is [var only] ? ParseId(only) : null;
    }

    private static string? ParseId(string record)
    {
        string? id = null;
        var fields = record.Split(';');
        // sts-text-record = sts-version 1*(*WSP field-delim *WSP sts-field) [field-delim]
        if (fields[0].TrimEnd(' ', '\t') != Version)
        {
            return null;
        }
        for (var i = 1; i < fields.Length; i++)
        {
            var field = fields[i].Trim(' ', '\t');
            if (field.Length == 0)
            {
                // Only the optional final delimiter may leave an empty field.
                if (i != fields.Length - 1)
                {
                    return null;
                }
                continue;
            }
            var equals = field.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == field.Length - 1)
            {
                return null;
            }
            var (name, value) = (field[..equals], field[(equals + 1)..]);
            if (name == "id")
            {
                // sts-id = %s"id=" 1*32(ALPHA / DIGIT); the first one counts.
                if (value.Length > 32 || !value.All(char.IsAsciiLetterOrDigit))
                {
                    return null;
                }
                id ??= value;
            }
            else if (!IsExtension(name, value))
            {
                return null;
            }
        }
        return id;
    }

    // sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
    // sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E)
    private static bool IsExtension(string name, string value) =>
        name.Length <= 32 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
        && value.All(c => c is >= '!' and <= '~' and not ';' and not '=');
}
