namespace MailCluster.Delivery.MtaSts;

/// <summary>
/// A parsed MTA-STS policy (RFC 8461 3.2): <c>key: value</c> lines with version, mode, max_age
/// and one <c>mx</c> line per allowed MX pattern.
/// </summary>
internal sealed record MtaStsPolicy(MtaStsMode Mode, TimeSpan MaxAge, IReadOnlyList<string> MxPatterns)
{
    /// <summary>RFC 8461 3.2: max_age is at most 31557600 seconds (about a year).</summary>
    public static readonly TimeSpan LongestMaxAge = TimeSpan.FromSeconds(31_557_600);

    /// <summary>
    /// RFC 8461 4.1: an MX host matches a pattern equal to it (case-insensitive, trailing dot
    /// ignored), or a <c>*.</c> pattern whose wildcard stands for exactly its leftmost label.
    /// </summary>
    public bool Allows(string mxHost)
    {
        var host = mxHost.TrimEnd('.');
        foreach (var pattern in MxPatterns)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                var dot = host.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0 && host.AsSpan(dot + 1).Equals(pattern.AsSpan(2), StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            else if (host.Equals(pattern, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The policy in <paramref name="text"/>, or null with the reason it is not one.</summary>
    public static MtaStsPolicy? Parse(string text, out string? error)
    {
        string? version = null, mode = null, maxAge = null;
        var mx = new List<string>();
        // sts-policy-term = LF / CRLF
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.EndsWith('\r') ? rawLine[..^1] : rawLine;
            if (line.Trim(' ', '\t').Length == 0)
            {
                continue;
            }
            // sts-policy-field-delim = ":" *WSP
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                error = $"line '{Shorten(line)}' is not 'key: value'";
                return null;
            }
            var key = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            // The first of a repeated key counts; mx repeats by design; unknown keys are extensions.
            switch (key)
            {
                case "version": version ??= value; break;
                case "mode": mode ??= value; break;
                case "max_age": maxAge ??= value; break;
                case "mx": mx.Add(value); break;
            }
        }

        if (version != "STSv1")
        {
            error = version is null ? "no version field" : $"version '{Shorten(version)}' is not STSv1";
            return null;
        }
        MtaStsMode? parsedMode = mode switch { "enforce" => MtaStsMode.Enforce, "testing" => MtaStsMode.Testing, "none" => MtaStsMode.None, _ => null };
        if (parsedMode is null)
        {
            error = mode is null ? "no mode field" : $"mode '{Shorten(mode)}' is not enforce, testing or none";
            return null;
        }
        // sts-policy-max-age-value = 1*10(DIGIT)
        if (maxAge is null || maxAge.Length is 0 or > 10 || !maxAge.All(char.IsAsciiDigit))
        {
            error = maxAge is null ? "no max_age field" : $"max_age '{Shorten(maxAge)}' is not 1 to 10 digits";
            return null;
        }
        var age = TimeSpan.FromSeconds(Math.Min(long.Parse(maxAge, System.Globalization.CultureInfo.InvariantCulture), (long)LongestMaxAge.TotalSeconds));
        if (mx.FirstOrDefault(p => !IsMxPattern(p)) is { } bad)
        {
            error = $"mx '{Shorten(bad)}' is not a host name or *.domain pattern";
            return null;
        }
        if (mx.Count == 0 && parsedMode != MtaStsMode.None)
        {
            error = $"mode {mode} without any mx field";
            return null;
        }
        error = null;
        return new MtaStsPolicy(parsedMode.Value, age, [.. mx.Select(p => p.TrimEnd('.'))]);
    }

    // sts-policy-mx-value = ["*."] 1*(ALPHA / DIGIT / "_" / "-" / ".")
    private static bool IsMxPattern(string pattern)
    {
        var name = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern[2..] : pattern;
        return name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') && !name.StartsWith('.');
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
