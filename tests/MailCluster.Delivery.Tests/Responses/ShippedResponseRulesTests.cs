using System.Text.Json;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Responses;
using MailCluster.Smtp.Client;
using MailCluster.Testing.IO;
using MailCluster.Testing.Smtp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailCluster.Delivery.Tests.Responses;

/// <summary>
/// The shipped response rules (deploy/response-rules.json) against real replies collected from
/// providers' postmaster pages and public bounce corpora (Responses/replies.json, each entry with
/// its source): every reply gets the rule, category and action it was written for, and every rule
/// is exercised by at least one reply.
/// </summary>
public sealed class ShippedResponseRulesTests
{
    private static readonly Lazy<ResponseJudge> s_judge = new(() =>
    {
        var rules = new ResponseRules(NullLogger.Instance);
        rules.Replace(Load());
        return new ResponseJudge(rules);
    });

    private static readonly Lazy<IReadOnlyList<CollectedReply>> s_replies = new(() =>
        JsonSerializer.Deserialize<List<CollectedReply>>(File.ReadAllText(RepositoryFiles.Path("tests/MailCluster.Delivery.Tests/Responses/replies.json")))!);

    private static ResponseRulesOptions Load() =>
        new ConfigurationBuilder().AddJsonFile(RepositoryFiles.Path("deploy/response-rules.json")).Build()
            .GetSection(ResponseRulesOptions.Section).Get<ResponseRulesOptions>()!;

    public static TheoryData<int> Replies() => [.. Enumerable.Range(0, s_replies.Value.Count)];

    [Fact]
    public void TheShippedRulesAreValidAndTheCorpusIsBigEnough()
    {
        Assert.Empty(Load().Validate());
        Assert.True(s_replies.Value.Count >= 40, $"{s_replies.Value.Count} replies");
        Assert.All(s_replies.Value, r => Assert.StartsWith("http", r.Source, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Replies))]
    public void EachRealReplyGetsItsRuleCategoryAndAction(int index)
    {
        var collected = s_replies.Value[index];
        var reply = RawReply.Parse(collected.Reply);
        var phase = collected.Phase switch
        {
            "Connect" => SmtpPhase.Greeting,
            "Helo" => SmtpPhase.Ehlo,
            "Mail" => SmtpPhase.Mail,
            "Rcpt" => SmtpPhase.Rcpt,
            _ => SmtpPhase.EndOfData,
        };
        var verdict = phase == SmtpPhase.Greeting
            ? DeliveryOutcomeClassifier.ConnectionFailed($"greeting {reply}")
            : DeliveryOutcomeClassifier.FromReply(reply, phase);

        var outcome = s_judge.Value.Judge(verdict, reply, phase, "recipient.test", collected.Mx);

        var action = outcome switch
        {
            { Suppress: true } => "Suppress",
            { Verdict: DeliveryVerdict.Bounced } => "Bounce",
            { Effect.Suspend: true } => "Suspend",
            { Effect: not null } => "Backoff",
            _ => "Defer",
        };
        Assert.Equal((collected.Rule, collected.Category, collected.Action), (outcome.Rule, outcome.Category.ToString(), action));
    }

    [Fact]
    public void EveryShippedRuleIsExercisedByAReply()
    {
        var named = s_replies.Value.Select(r => r.Rule).ToHashSet();
        var unexercised = Load().Rules.Select(r => r.Name).Where(name => !named.Contains(name)).ToList();
        Assert.True(unexercised.Count == 0, $"rules no reply exercises: {string.Join(", ", unexercised)}");
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1812", Justification = "Made by the JSON deserializer.")]
    private sealed record CollectedReply(string Reply, string Phase, string Mx, string Category, string Action, string? Rule, string Source);
}
