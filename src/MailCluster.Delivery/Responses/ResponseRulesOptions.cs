using System.Text.RegularExpressions;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Delivery.Responses;

/// <summary>When a reply came: the greeting, EHLO/HELO or STARTTLS, MAIL, RCPT, or DATA and its end.</summary>
internal enum ReplyPhase
{
    Connect,
    Helo,
    Mail,
    Rcpt,
    Data,
}

/// <summary>
/// The response rules, bound from <c>ResponseRules</c> (its own file, <c>ResponseRulesFile</c>):
/// named groups of destinations (<see cref="Providers"/>, each a list of <c>Shaping</c>-style
/// patterns) and the <see cref="Rules"/>, tried in order, the first match deciding.
/// </summary>
internal sealed class ResponseRulesOptions
{
    public const string Section = "ResponseRules";

    public Dictionary<string, List<string>> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public List<ResponseRuleOptions> Rules { get; set; } = [];

    public IEnumerable<string> Validate(string section = Section)
    {
        foreach (var (name, patterns) in Providers)
        {
            if (patterns.Count == 0 || patterns.Exists(string.IsNullOrWhiteSpace))
            {
                yield return $"{section}:Providers:{name} must list destination patterns (example.com, *.example.com, mx:.example.net)";
            }
        }
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Rules.Count; i++)
        {
            var key = $"{section}:Rules:{i}";
            foreach (var error in Rules[i].Validate(key, Providers))
            {
                yield return error;
            }
            if (!string.IsNullOrWhiteSpace(Rules[i].Name) && !names.Add(Rules[i].Name))
            {
                yield return $"{key}:Name '{Rules[i].Name}' is used by an earlier rule";
            }
        }
    }
}

/// <summary>One response rule: what it matches (all given conditions at once), what it does, and the category it gives.</summary>
internal sealed class ResponseRuleOptions
{
    /// <summary>Shown in logs and <c>mailctl domains</c> when the rule acts.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>A key of <see cref="ResponseRulesOptions.Providers"/>: the rule holds only for those destinations.</summary>
    public string? Provider { get; set; }

    /// <summary>Reply codes, one of which the reply must have.</summary>
    public List<int>? Codes { get; set; }

    /// <summary>The enhanced status code (RFC 3463): exact (<c>4.7.0</c>), or a prefix ending in a dot (<c>4.7.</c>, <c>5.</c>).</summary>
    public string? Enhanced { get; set; }

    /// <summary>A regular expression over the reply's text (its lines joined by a space, without codes), case-insensitive, run in linear time with a timeout.</summary>
    public string? Text { get; set; }

    public List<ReplyPhase>? Phases { get; set; }

    /// <summary>Null: the RFC behaviour (4xx defers, 5xx bounces, 421 backs the source off).</summary>
    public ResponseAction? Action { get; set; }

    /// <summary>How long a <see cref="ResponseAction.Backoff"/> or <see cref="ResponseAction.Suspend"/> lasts.</summary>
    public TimeSpan? Duration { get; set; }

    /// <summary>What a <see cref="ResponseAction.Backoff"/> scales the connections and rate by (default 0.5).</summary>
    public double? Factor { get; set; }

    public ReplyCategory? Category { get; set; }

    /// <summary>Where the rule comes from (a provider's postmaster page).</summary>
    public string? Reference { get; set; }

    public IEnumerable<string> Validate(string key, IReadOnlyDictionary<string, List<string>> providers)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            yield return $"{key}:Name is required";
        }
        if (Provider is not null && !providers.ContainsKey(Provider))
        {
            yield return $"{key}:Provider '{Provider}' is not one of ResponseRules:Providers ({string.Join(", ", providers.Keys)})";
        }
        if (Codes?.Exists(c => c is < 200 or > 599) == true)
        {
            yield return $"{key}:Codes must be reply codes (200-599)";
        }
        if (Enhanced is not null && !EnhancedPattern.IsValid(Enhanced))
        {
            yield return $"{key}:Enhanced '{Enhanced}' is not a status code (4.7.1) or a prefix ending in a dot (4.7., 5.)";
        }
        if (Text is not null && TextError(Text) is { } error)
        {
            yield return $"{key}:Text is not a usable expression: {error}";
        }
        if (Action is ResponseAction.Backoff or ResponseAction.Suspend && Duration is not { Ticks: > 0 })
        {
            yield return $"{key}:Duration is required for {Action} (e.g. 00:10:00)";
        }
        if (Factor is not null && (Action != ResponseAction.Backoff || Factor is not (> 0 and <= 1)))
        {
            yield return $"{key}:Factor is for Backoff only, between 0 (exclusive) and 1";
        }
        if (Category is null)
        {
            yield return $"{key}:Category is required ({string.Join(", ", Enum.GetNames<ReplyCategory>())})";
        }
    }

    private static string? TextError(string text)
    {
        try
        {
            _ = ResponseRule.Expression(text, ResponseRule.MatchTimeout);
            return null;
        }
        catch (Exception exception) when (exception is ArgumentException or NotSupportedException)
        {
            return exception.Message;
        }
    }
}

/// <summary>An enhanced status code as a rule gives it: exact, or a prefix of whole parts ending in a dot.</summary>
internal static class EnhancedPattern
{
    public static bool IsValid(string pattern) =>
        pattern.EndsWith('.')
            ? pattern.TrimEnd('.').Split('.') is { Length: 1 or 2 } parts && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit))
            : EnhancedStatusCode.TryParse(pattern, out _);

    public static bool Matches(string pattern, EnhancedStatusCode? status)
    {
        if (status is not { } code)
        {
            return false;
        }
        var text = code.ToString();
        return pattern.EndsWith('.') ? text.StartsWith(pattern, StringComparison.Ordinal) : text == pattern;
    }
}
