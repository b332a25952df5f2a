using MailCluster.Delivery.Responses;
using MailCluster.Smtp.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailCluster.Delivery.Tests.Responses;

/// <summary>The rule matcher on its own: order, codes, enhanced codes and prefixes, expressions and their timeout, phases, providers, and the options' validation.</summary>
public sealed class ResponseRulesTests
{
    private static ResponseRules Rules(params ResponseRuleOptions[] rules) => Rules(null, rules);

    private static ResponseRules Rules(TimeSpan? timeout, params ResponseRuleOptions[] rules)
    {
        var options = new ResponseRulesOptions
        {
            Providers = new(StringComparer.OrdinalIgnoreCase) { ["yahoo"] = ["mx:.yahoodns.net"], ["acme"] = ["acme.test", "*.acme.test"] },
            Rules = [.. rules],
        };
        Assert.Empty(options.Validate());
        var set = new ResponseRules(NullLogger.Instance, timeout);
        set.Replace(options);
        return set;
    }

    private static ResponseRuleOptions Rule(string name, Action<ResponseRuleOptions>? set = null)
    {
        var rule = new ResponseRuleOptions { Name = name, Category = ReplyCategory.Unclassified };
        set?.Invoke(rule);
        return rule;
    }

    private static ReplyFacts Facts(int code, string? enhanced, string text, ReplyPhase phase = ReplyPhase.Rcpt, string domain = "dest.test", string? mx = "mx.dest.test") =>
        new(code, enhanced is null ? null : EnhancedStatusCode.TryParse(enhanced, out var e) ? e : throw new ArgumentException(enhanced), text, phase, domain, mx);

    [Fact]
    public void TheFirstMatchingRuleDecidesInTheirOrder()
    {
        var rules = Rules(
            Rule("specific", r => (r.Codes, r.Text) = ([450], "greylist")),
            Rule("any-450", r => r.Codes = [450]),
            Rule("never-reached", r => r.Codes = [450]));

        Assert.Equal("specific", rules.Match(Facts(450, "4.7.1", "Greylisted, see https://postgrey.schweikert.ch"))?.Name);
        Assert.Equal("any-450", rules.Match(Facts(450, "4.2.0", "mailbox busy"))?.Name);
        Assert.Null(rules.Match(Facts(451, "4.3.0", "local problem")));
    }

    [Theory]
    [InlineData("4.7.1", "4.7.1", true)]
    [InlineData("4.7.1", "4.7.10", false)]
    [InlineData("4.7.", "4.7.650", true)]
    [InlineData("4.7.", "4.17.0", false)]
    [InlineData("4.", "4.2.2", true)]
    [InlineData("4.", "5.2.2", false)]
    [InlineData("5.7.", null, false)]
    public void AnEnhancedCodeMatchesExactlyOrByWholePartsWhenItEndsInADot(string pattern, string? status, bool matches)
    {
        var rules = Rules(Rule("r", r => r.Enhanced = pattern));

        Assert.Equal(matches, rules.Match(Facts(451, status, "text")) is not null);
    }

    [Fact]
    public void TheTextIsMatchedWithoutCaseAnywhereInTheJoinedLines()
    {
        var rules = Rules(Rule("tss04", r => r.Text = @"\[TSS04\]"));

        Assert.NotNull(rules.Match(Facts(421, "4.7.0", "[tss04] Messages from 203.0.113.7 temporarily deferred")));
        Assert.NotNull(rules.Match(ReplyFacts.Of(new SmtpReply(421, null, "first line\nsecond [TSS04] line"), ReplyPhase.Connect, "yahoo.com", "mta5.am0.yahoodns.net")));
        Assert.Null(rules.Match(Facts(421, "4.7.0", "[TSS09] All supported protocols")));
    }

    [Fact]
    public void AnExpressionThatRunsOutOfTimeIsSkippedAndTheNextRuleDecides()
    {
        // A timeout of one tick: the first expression cannot finish on a megabyte of text.
        var rules = Rules(TimeSpan.FromTicks(1), Rule("slow", r => r.Text = "x.*y"), Rule("fallback", r => r.Codes = [550]));

        Assert.Equal("fallback", rules.Match(Facts(550, "5.7.1", new string('x', 1_000_000)))?.Name);
    }

    [Fact]
    public void APhaseListLimitsARuleToThoseReplies()
    {
        var rules = Rules(Rule("greeting-only", r => (r.Codes, r.Phases) = ([421], [ReplyPhase.Connect])));

        Assert.NotNull(rules.Match(Facts(421, null, "busy", ReplyPhase.Connect)));
        Assert.Null(rules.Match(Facts(421, null, "busy", ReplyPhase.Data)));
    }

    [Fact]
    public void AProviderRuleHoldsForItsMxHostsAndDomainsOnly()
    {
        var rules = Rules(Rule("yahoo-only", r => (r.Provider, r.Codes) = ("yahoo", [421])), Rule("acme-only", r => (r.Provider, r.Codes) = ("acme", [554])));

        Assert.NotNull(rules.Match(Facts(421, null, "x", domain: "yahoo.com", mx: "mta7.am0.yahoodns.net.")));
        Assert.Null(rules.Match(Facts(421, null, "x", domain: "yahoo.com", mx: "yahoodns.net.evil.test")));
        Assert.NotNull(rules.Match(Facts(554, null, "x", domain: "mail.acme.test", mx: null)));
        Assert.Null(rules.Match(Facts(554, null, "x", domain: "notacme.test")));
    }

    [Fact]
    public void EveryBadRuleIsNamedWithItsKey()
    {
        var options = new ResponseRulesOptions
        {
            Providers = new() { ["empty"] = [] },
            Rules =
            [
                new ResponseRuleOptions { Name = "", Category = ReplyCategory.RateLimited },
                new ResponseRuleOptions { Name = "a", Provider = "nobody", Codes = [99], Enhanced = "4.7", Text = "(?<=x)y", Action = ResponseAction.Suspend, Category = ReplyCategory.RateLimited },
                new ResponseRuleOptions { Name = "A", Action = ResponseAction.Defer, Factor = 0.5 },
            ],
        };

        var errors = options.Validate().ToList();

        Assert.Contains(errors, e => e.StartsWith("ResponseRules:Providers:empty ", StringComparison.Ordinal));
        Assert.Contains("ResponseRules:Rules:0:Name is required", errors);
        Assert.Contains(errors, e => e.StartsWith("ResponseRules:Rules:1:Provider 'nobody'", StringComparison.Ordinal));
        Assert.Contains("ResponseRules:Rules:1:Codes must be reply codes (200-599)", errors);
        Assert.Contains(errors, e => e.StartsWith("ResponseRules:Rules:1:Enhanced '4.7'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ResponseRules:Rules:1:Text is not a usable expression", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ResponseRules:Rules:1:Duration is required for Suspend", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ResponseRules:Rules:2:Factor is for Backoff only", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ResponseRules:Rules:2:Category is required", StringComparison.Ordinal));
        Assert.Contains("ResponseRules:Rules:2:Name 'A' is used by an earlier rule", errors);
    }
}
