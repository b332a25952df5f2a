using System.Text.Json;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// An MX that greylists (postgrey's <c>450 4.7.1 ... Greylisted</c> to a recipient's first
/// attempt), under the shipped response rules: each greylisted recipient is deferred alone, the
/// rule and its category named in the delivery log, and delivered on its retry; the site is never
/// paused, so every other recipient goes out on its first attempt. (Before the rules, every such
/// 4.7.1 paused the whole site for its backoff period.)
/// </summary>
[Trait("Category", "Integration")]
public sealed class GreylistingDefersOnlyTheRecipient
{
    private const string Mx = "127.0.35.2";
    private static readonly string[] s_zone = ["mx-host=dest.test,mx.dest.test,10", $"host-record=mx.dest.test,{Mx}"];

    [Fact]
    public async Task GreylistedRecipientsWaitAloneAndTheOthersGoOutOnTheirFirstAttempt()
    {
        await using var world = await MailWorld.StartAsync(
            s_zone, [Mx], 0,
            $"--ResponseRulesFile={RepositoryFiles.Path("deploy/response-rules.json")}",
            // Long enough that a pause of the site would hold every later message past the test.
            "--Shaping:Rules:0:Match=dest.test", "--Shaping:Rules:0:BackoffPeriod=00:30:00");

        // Each greylisted message is followed by ordinary ones a pause would hold back.
        for (var i = 0; i < 5; i++)
        {
            var sends = new[] { $"greylist-once+g{i}@dest.test", $"r{i}a@dest.test", $"r{i}b@dest.test", $"r{i}c@dest.test" }
                .Select(to => Swaks.SendAsync(world.Silo.SmtpAddress, "app@client.test", to, "--header", $"Subject: to {to}"));
            Assert.All(await Task.WhenAll(sends), sent => Assert.True(sent.ExitCode == 0, sent.ToString()));
        }

        await world.Sink(Mx).WaitForMessagesAsync(20, TimeSpan.FromSeconds(60), world.Context);
        await world.WaitForEmptySpoolAsync();

        var lines = world.DeliveryLog().Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var greylisted = lines.Where(l => l.GetProperty("recipient").GetString()!.StartsWith("greylist-once+", StringComparison.Ordinal)).ToList();
        var others = lines.Where(l => !l.GetProperty("recipient").GetString()!.StartsWith("greylist-once+", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, greylisted.Count(l => l.GetProperty("type").GetString() == "Deferred"
            && l.GetProperty("category").GetString() == "Greylisted" && l.GetProperty("rule").GetString() == "generic-greylisting"));
        Assert.Equal(5, greylisted.Count(l => l.GetProperty("type").GetString() == "Delivered" && l.GetProperty("attempt").GetInt32() == 2));
        // Fifteen others, each one line: delivered on its first attempt.
        Assert.Equal(15, others.Count);
        Assert.All(others, l => Assert.Equal(("Delivered", 1), (l.GetProperty("type").GetString(), l.GetProperty("attempt").GetInt32())));
        Assert.DoesNotContain("backing off", world.Silo.Output, StringComparison.Ordinal);
    }
}
