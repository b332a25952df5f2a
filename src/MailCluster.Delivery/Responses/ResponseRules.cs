using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Responses;

/// <summary>
/// The response rules in force, replaced as a whole on an operator's reload (validated before):
/// <see cref="Match"/> tries them in order and the first that matches decides. A rule whose
/// expression runs out of time (<paramref name="matchTimeout"/>, default <see cref="ResponseRule.MatchTimeout"/>)
/// is skipped for that reply, and logged.
/// </summary>
internal sealed partial class ResponseRules(ILogger logger, TimeSpan? matchTimeout = null)
{
    private volatile IReadOnlyList<ResponseRule> _rules = [];
    private volatile IReadOnlyDictionary<string, List<string>> _providers = new Dictionary<string, List<string>>();

    public int Count => _rules.Count;

    /// <summary>A short hash of the rules in force, part of the hash <c>mailctl silos</c> compares.</summary>
    public string Hash { get; private set; } = string.Empty;

    /// <summary>Replaces the rules; <paramref name="options"/> must have passed <see cref="ResponseRulesOptions.Validate"/>.</summary>
    public void Replace(ResponseRulesOptions options)
    {
        _rules = [.. options.Rules.Select(r => new ResponseRule(r, options.Providers, matchTimeout ?? ResponseRule.MatchTimeout))];
        _providers = options.Providers;
        Hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(options)))[..12];
    }

    /// <summary>Reads <c>ResponseRules</c> again (an operator's reload): replaced when valid, else the rules in force stay and the errors say why.</summary>
    public (int Rules, IReadOnlyList<string> Errors) Reload(IConfiguration configuration)
    {
        var options = configuration.GetSection(ResponseRulesOptions.Section).Get<ResponseRulesOptions>() ?? new ResponseRulesOptions();
        var errors = options.Validate().ToList();
        if (errors.Count == 0)
        {
            Replace(options);
        }
        return (errors.Count == 0 ? options.Rules.Count : 0, errors);
    }

    /// <summary>The first provider group (<see cref="ResponseRulesOptions.Providers"/>) one of whose destinations matches the domain or its primary MX, or null.</summary>
    public string? ProviderOf(string domain, string? primaryMx) =>
        _providers.FirstOrDefault(p => p.Value.Exists(pattern => Cluster.Shaping.SitePattern.Matches(pattern, domain, primaryMx))).Key;

    /// <summary>The first rule that matches, or null.</summary>
    public ResponseRule? Match(in ReplyFacts facts)
    {
        foreach (var rule in _rules)
        {
            try
            {
                if (rule.Matches(facts))
                {
                    return rule;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                MatchTimedOut(logger, rule.Name, facts.Text.Length);
            }
        }
        return null;
    }

    [LoggerMessage(2070, LogLevel.Warning, "Response rule {Rule} ran out of time on a reply of {Length} characters; it is skipped for that reply")]
    private static partial void MatchTimedOut(ILogger logger, string rule, int length);
}
