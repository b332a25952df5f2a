using System.Text.RegularExpressions;
using MailCluster.Cluster.Shaping;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Delivery.Responses;

/// <summary>A reply and where it came from, as rules see it.</summary>
/// <param name="Text">The reply's lines joined by a space, without the codes.</param>
/// <param name="Domain">The recipient's domain.</param>
/// <param name="MxHost">The MX host that answered (provider patterns match its name).</param>
internal readonly record struct ReplyFacts(int Code, EnhancedStatusCode? Enhanced, string Text, ReplyPhase Phase, string Domain, string? MxHost)
{
    public static ReplyFacts Of(SmtpReply reply, ReplyPhase phase, string domain, string? mxHost) =>
        new(reply.Code, reply.Enhanced, reply.Text.Replace('\n', ' '), phase, domain, mxHost);
}

/// <summary>A validated rule, its expression compiled once: <see cref="Matches"/> checks every condition it has.</summary>
internal sealed class ResponseRule
{
    /// <summary>
    /// Linear-time matching already bounds the cost; the timeout bounds it again, whatever the
    /// reply's length. Generous: an expression's first match builds its automaton, which on a busy
    /// silo can take tens of milliseconds, and a rule skipped for that would act on a reply wrongly.
    /// </summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<string>? _destinations;
    private readonly HashSet<int>? _codes;
    private readonly string? _enhanced;
    private readonly Regex? _text;
    private readonly HashSet<ReplyPhase>? _phases;

    public ResponseRule(ResponseRuleOptions options, IReadOnlyDictionary<string, List<string>> providers, TimeSpan matchTimeout)
    {
        Name = options.Name;
        Action = options.Action;
        Duration = options.Duration ?? TimeSpan.Zero;
        Factor = options.Factor ?? (options.Action == ResponseAction.Backoff ? 0.5 : 1);
        Category = options.Category ?? ReplyCategory.Unclassified;
        _destinations = options.Provider is null ? null : providers[options.Provider];
        _codes = options.Codes is null ? null : [.. options.Codes];
        _enhanced = options.Enhanced;
        _text = options.Text is null ? null : Expression(options.Text, matchTimeout);
        _phases = options.Phases is null ? null : [.. options.Phases];
    }

    public string Name { get; }

    /// <summary>Null: the RFC behaviour for the reply.</summary>
    public ResponseAction? Action { get; }

    public TimeSpan Duration { get; }

    /// <summary>What a backoff scales the (source, site)'s connections and rate by; 1 for the other actions.</summary>
    public double Factor { get; }

    public ReplyCategory Category { get; }

    /// <summary>The expression as rules run it: case-insensitive, culture-invariant, linear time (no backtracking), with a timeout.</summary>
    public static Regex Expression(string text, TimeSpan matchTimeout) =>
        new(text, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, matchTimeout);

    /// <summary>Every condition holds; the cheap ones are checked before the expression. Throws <see cref="RegexMatchTimeoutException"/> when the expression ran out of time.</summary>
    public bool Matches(in ReplyFacts facts) =>
        (_codes is null || _codes.Contains(facts.Code))
        && (_enhanced is null || EnhancedPattern.Matches(_enhanced, facts.Enhanced))
        && (_phases is null || _phases.Contains(facts.Phase))
        && (_destinations is null || Destined(facts))
        && (_text is null || _text.IsMatch(facts.Text));

    private bool Destined(in ReplyFacts facts)
    {
        foreach (var pattern in _destinations!)
        {
            if (SitePattern.Matches(pattern, facts.Domain, facts.MxHost))
            {
                return true;
            }
        }
        return false;
    }
}
