using System.Globalization;
using System.Text.RegularExpressions;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// A pool of three sources on 127.0.0.51-53 (weights 1/1/2) delivering to a sink that records each
/// message's client address: the messages follow the weights; a source the MX refuses (421 at the
/// greeting, as Yahoo's TSS04) is backed off while the other two carry its share; a new source warming
/// up stops at its daily cap while a warm one carries the rest.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EgressPoolSpreadsMailByWeight
{
    private const string Mx = "127.0.15.2";
    private static readonly string[] s_zone = ["mx-host=dest.test,mx.dest.test,10", $"host-record=mx.dest.test,{Mx}"];

    private static readonly string[] s_pool =
    [
        "--Egress:Sources:0:Name=ip51", "--Egress:Sources:0:Address=127.0.0.51", "--Egress:Sources:0:EhloName=mta51.source.test",
        "--Egress:Sources:1:Name=ip52", "--Egress:Sources:1:Address=127.0.0.52", "--Egress:Sources:1:EhloName=mta52.source.test",
        "--Egress:Sources:2:Name=ip53", "--Egress:Sources:2:Address=127.0.0.53", "--Egress:Sources:2:EhloName=mta53.source.test",
        "--Egress:Pools:0:Name=bulk",
        "--Egress:Pools:0:Sources:0:Name=ip51", "--Egress:Pools:0:Sources:0:Weight=1",
        "--Egress:Pools:0:Sources:1:Name=ip52", "--Egress:Pools:0:Sources:1:Weight=1",
        "--Egress:Pools:0:Sources:2:Name=ip53", "--Egress:Pools:0:Sources:2:Weight=2",
        "--Shaping:Rules:0:Match=dest.test", "--Shaping:Rules:0:MaxConnections=3", "--Shaping:Rules:0:BackoffPeriod=00:05:00",
    ];

    [Fact]
    public async Task TwoThousandMessagesFollowTheWeightsAndEachSourceStaysWithinItsLimit()
    {
        await using var world = await MailWorld.StartAsync(s_zone, [Mx], sinkDelaySeconds: 0, s_pool);

        var sent = await SmtpSource.SendAsync(world.Silo.SmtpAddress, sessions: 10, messages: 2000, sizeBytes: 1024, recipient: "bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        var sink = world.Sink(Mx);
        var messages = await sink.WaitForMessagesAsync(2000, TimeSpan.FromSeconds(180), world.Context);
        var byPeer = messages.GroupBy(m => m.Peer).ToDictionary(g => g.Key, g => g.Count());
        var shares = $"messages by client address: {string.Join(", ", byPeer.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}";
        Assert.True(byPeer.Keys.Order().SequenceEqual(["127.0.0.51", "127.0.0.52", "127.0.0.53"]), shares);
        // Shares of 1/4, 1/4 and 1/2, each within 10% of itself.
        Assert.True(byPeer["127.0.0.51"] is >= 450 and <= 550, shares);
        Assert.True(byPeer["127.0.0.52"] is >= 450 and <= 550, shares);
        Assert.True(byPeer["127.0.0.53"] is >= 900 and <= 1100, shares);
        Assert.All(sink.MaxConnectionsByPeer().Values, max => Assert.InRange(max, 1, 3));
        // Each attempt names its source in the delivery log.
        Assert.Contains(world.DeliveryLog(), line => line.Contains("\"source\":\"ip53\"", StringComparison.Ordinal));
        await world.WaitForEmptySpoolAsync();
    }

    [Fact]
    public async Task AnOperatorSuspendsOneSourceForADomainAndTheOthersCarryItsShare()
    {
        await using var world = await MailWorld.StartAsync(s_zone, [Mx], sinkDelaySeconds: 0, s_pool);
        var sources = await world.MailctlAsync(["sources"]);
        Assert.True(sources.ExitCode == 0, sources.ToString());
        Assert.Matches(@"(?m)^ip53\s+127\.0\.0\.53\s+-\s+mta53\.source\.test\s+bulk \(weight 2\)\s*$", sources.Output);
        var unknown = await world.MailctlAsync(["suspend", "dest.test", "--source", "ip99"]);
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("no egress source 'ip99' (sources: ip51, ip52, ip53)", unknown.ToString(), StringComparison.Ordinal);

        var suspend = await world.MailctlAsync(["suspend", "dest.test", "--source", "ip53"]);
        Assert.True(suspend.ExitCode == 0, suspend.ToString());
        Assert.Contains("dest.test: delivery suspended from source ip53", suspend.Output, StringComparison.Ordinal);
        var sent = await SmtpSource.SendAsync(world.Silo.SmtpAddress, sessions: 4, messages: 200, sizeBytes: 1024, recipient: "bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        var messages = await world.Sink(Mx).WaitForMessagesAsync(200, TimeSpan.FromSeconds(90), world.Context);
        Assert.DoesNotContain(messages, m => m.Peer == "127.0.0.53");

        var status = await world.MailctlAsync(["domains", "dest.test"]);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Matches(@"(?m)^ip53\s+0\s+no\s+yes\s+-\s*$", status.Output);
        Assert.Matches(@"(?m)^ip51\s+\d+\s+no\s+no\s+-\s*$", status.Output);
        await world.WaitForEmptySpoolAsync();

        // mailctl sources: each source's last minute at the site (reported every 10 s), and its suspension.
        var activity = sources;
        await Polling.UntilAsync(
            async () => MessagesPerSource(activity = await world.MailctlAsync(["sources"])).Values.Sum() == 200,
            TimeSpan.FromSeconds(60),
            () => $"mailctl sources never showed the 200 messages:\n{activity}");
        Assert.DoesNotContain("ip53", MessagesPerSource(activity).Keys);
        Assert.Contains("suspended on ip53: dest.test", activity.Output, StringComparison.Ordinal);
    }

    private static string Today() => DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The MESSAGES/MIN column of each source's row for dest.test in <c>mailctl sources</c>.</summary>
    private static Dictionary<string, int> MessagesPerSource(CommandResult sources) =>
        Regex.Matches(sources.Output, @"(?m)^(ip5\d)\s+dest\.test\s+\d+\s+(\d+)\s*$").ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    [Fact]
    public async Task ASourceTheMxRefusesGetsNoNewConnectionsWhileTheOtherTwoCarryItsShare()
    {
        await using var world = await MailWorld.StartAsync(s_zone, [Mx], ["127.0.0.53"], s_pool);

        var sent = await SmtpSource.SendAsync(world.Silo.SmtpAddress, sessions: 5, messages: 400, sizeBytes: 1024, recipient: "bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        var sink = world.Sink(Mx);
        var messages = await sink.WaitForMessagesAsync(400, TimeSpan.FromSeconds(120), world.Context);
        await world.WaitForEmptySpoolAsync();
        var refused = sink.RefusedByPeer().GetValueOrDefault("127.0.0.53");
        Assert.DoesNotContain(messages, m => m.Peer == "127.0.0.53");
        Assert.Equal(400, messages.Count(m => m.Peer is "127.0.0.51" or "127.0.0.52"));
        // The refusals that backed ip53 off: at most the connections it had opened at once (3).
        Assert.InRange(refused, 1, 3);
        // Nothing was deferred: the refusal moved the work, it did not fail it.
        Assert.DoesNotContain(world.DeliveryLog(), line => line.Contains("\"type\":\"Deferred\"", StringComparison.Ordinal));
    }

    /// <summary>
    /// A new source on 127.0.0.51 warming up from today with a cap of 30 messages a day per site, and a
    /// warm one on 127.0.0.52: the sink sees at most 30 messages from the new address, the rest from the
    /// warm one, and <c>mailctl sources</c> shows the new source's day, cap and count.
    /// </summary>
    [Fact]
    public async Task ANewAddressSendsItsDailyCapAndAWarmOneTheRest()
    {
        // Day 1 is today (UTC); day 2 has the same cap (a run across midnight may send 30 more).
        var today = Today();
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
        var sameDay = Today() == today;
        Assert.True(fresh >= 20 && fresh <= (sameDay ? 30 : 60), $"{fresh} messages from the new address");
        Assert.Equal(200 - fresh, messages.Count(m => m.Peer == "127.0.0.52"));

        // mailctl sources: the new source's day 1 and, once its activity reached the source's grain, its count at dest.test.
        var sources = await world.MailctlAsync(["sources"]);
        var row = new Regex($@"(?m)^fresh\s+[12] \(from {today}\)\s+dest\.test\s+30\s+-\s+(\d+)\s+(\d+)\s*$");
        await Polling.UntilAsync(
            async () => row.IsMatch((sources = await world.MailctlAsync(["sources"])).Output),
            TimeSpan.FromSeconds(60),
            () => $"mailctl sources never showed fresh's warm-up at dest.test:\n{sources}");
        var counted = int.Parse(row.Match(sources.Output).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(counted, sameDay ? fresh : 0, 30);
        Assert.DoesNotMatch(@"(?m)^warm\s+\d+ \(from", sources.Output);
    }
}
