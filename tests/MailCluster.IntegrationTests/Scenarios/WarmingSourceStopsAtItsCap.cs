using System.Globalization;
using System.Text.RegularExpressions;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// A pool of a new source on 127.0.0.51, warming up from today with a cap of 30 messages a day at
/// each site, and a warm one on 127.0.0.52: the sink sees at most 30 messages from the new address,
/// the rest from the warm one, and <c>mailctl sources</c> shows the new source's day, cap and count.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WarmingSourceStopsAtItsCap
{
    private const string Mx = "127.0.15.2";
    private static readonly string[] s_zone = ["mx-host=dest.test,mx.dest.test,10", $"host-record=mx.dest.test,{Mx}"];

    [Fact]
    public async Task TheNewAddressSendsItsDailyCapAndTheWarmOneTheRest()
    {
        // Day 1 is today (UTC); day 2 has the same cap, so a run across midnight still sends at most 30 a day.
        var today = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        string[] pool =
        [
            "--Egress:Sources:0:Name=fresh", "--Egress:Sources:0:Address=127.0.0.51",
            $"--Egress:Sources:0:WarmUp:Start={today}",
            "--Egress:Sources:0:WarmUp:Days:0:Day=1", "--Egress:Sources:0:WarmUp:Days:0:PerDay=30",
            "--Egress:Sources:0:WarmUp:Days:1:Day=2", "--Egress:Sources:0:WarmUp:Days:1:PerDay=30",
            "--Egress:Sources:1:Name=warm", "--Egress:Sources:1:Address=127.0.0.52",
            "--Egress:Pools:0:Name=bulk", "--Egress:Pools:0:Sources:0:Name=fresh", "--Egress:Pools:0:Sources:1:Name=warm",
            "--Shaping:Rules:0:Match=dest.test", "--Shaping:Rules:0:MaxConnections=2",
        ];
        await using var world = await MailWorld.StartAsync(s_zone, [Mx], sinkDelaySeconds: 0, pool);

        var sent = await SmtpSource.SendAsync(world.Silo.SmtpAddress, sessions: 4, messages: 200, sizeBytes: 1024, recipient: "bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        var messages = await world.Sink(Mx).WaitForMessagesAsync(200, TimeSpan.FromSeconds(90), world.Context);
        await world.WaitForEmptySpoolAsync();

        var fresh = messages.Count(m => m.Peer == "127.0.0.51");
        Assert.True(fresh is >= 20 and <= 30, $"{fresh} messages from the new address");
        Assert.Equal(200 - fresh, messages.Count(m => m.Peer == "127.0.0.52"));

        // mailctl sources: the new source's day 1 and, once its activity reached the source's grain, its count at dest.test.
        var sources = await world.MailctlAsync(["sources"]);
        var row = new Regex($@"(?m)^fresh\s+1 \(from {today}\)\s+dest\.test\s+30\s+-\s+(\d+)\s+(\d+)\s*$");
        await Polling.UntilAsync(
            async () => row.IsMatch((sources = await world.MailctlAsync(["sources"])).Output),
            TimeSpan.FromSeconds(60),
            () => $"mailctl sources never showed fresh's warm-up at dest.test:\n{sources}");
        var counted = int.Parse(row.Match(sources.Output).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(counted, fresh, 30);
        Assert.DoesNotMatch(@"(?m)^warm\s+\d+ \(from", sources.Output);
    }
}
