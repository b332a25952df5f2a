using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// Three silos sending from the same three sources to one site: each (source, site) has its own
/// grain, so each source's connections stay within the site's limit across the cluster, as the
/// site's do without sources (<see cref="ClusterOfThreeSharesOneSite"/>); the site's total across
/// sources (<c>SiteMaxConnections</c>, a grain of its own) holds too.
/// </summary>
[Collection("Cluster")]
[Trait("Category", "Integration")]
public sealed class ClusterOfThreeLimitsEachSource
{
    private const string Mx = "127.0.32.2";
    private static readonly string[] s_zone = ["mx-host=dest.test,mx.dest.test,10", $"host-record=mx.dest.test,{Mx}"];

    [Fact]
    public async Task EachSourcesConnectionsAndTheSitesTotalStayWithinTheirLimitsAcrossThreeSilos()
    {
        // Every message takes the sink 0.2 s, so each silo would open its own two connections per source if it decided alone.
        await using var world = await ClusterWorld.StartAsync(
            s_zone, [Mx], sinkDelaySeconds: 0.2, silos: 3,
            "--Egress:Sources:0:Name=ip61", "--Egress:Sources:0:Address=127.0.0.61",
            "--Egress:Sources:1:Name=ip62", "--Egress:Sources:1:Address=127.0.0.62",
            "--Egress:Sources:2:Name=ip63", "--Egress:Sources:2:Address=127.0.0.63",
            "--Egress:Pools:0:Name=all", "--Egress:Pools:0:Sources:0:Name=ip61", "--Egress:Pools:0:Sources:1:Name=ip62", "--Egress:Pools:0:Sources:2:Name=ip63",
            "--Shaping:Rules:0:Match=dest.test", "--Shaping:Rules:0:MaxConnections=2", "--Shaping:Rules:0:SiteMaxConnections=4");
        const int PerSilo = 40;
        var sends = world.Silos.Select(s => SmtpSource.SendAsync(s.SmtpAddress, sessions: 4, messages: PerSilo, sizeBytes: 512, recipient: "bob@dest.test"));
        foreach (var sent in await Task.WhenAll(sends))
        {
            Assert.True(sent.ExitCode == 0, sent.ToString());
        }

        var sink = world.Sink(Mx);
        var delivered = await sink.WaitForMessagesAsync(3 * PerSilo, TimeSpan.FromSeconds(120), world.Context);
        Assert.Equal(3 * PerSilo, delivered.Count);
        // Equal weights: the connections rotate under the site's total, so no source is kept out.
        // Each silo lets a source lead by at most the slack (10 messages), so each has about 20 or more of 120.
        var bySource = delivered.GroupBy(m => m.Peer).ToDictionary(g => g.Key, g => g.Count());
        var shares = string.Join(", ", bySource.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));
        Assert.True(bySource.Keys.Order().SequenceEqual(["127.0.0.61", "127.0.0.62", "127.0.0.63"]) && bySource.Values.All(n => n >= 15), $"messages by source: {shares}\n{world.Context()}");
        // The sink's own count of connections open at once from each source address (aiosmtpd's
        // controller connects once from 127.0.0.1 as it starts, to create its server: not ours).
        var most = sink.MaxConnectionsByPeer().Where(p => p.Key != "127.0.0.1").ToList();
        var seen = string.Join(", ", most.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"));
        Assert.True(most.Count == 3 && most.All(p => p.Value is >= 1 and <= 2), $"most connections at once by source: {seen}\n{world.Context()}");
        // Three sources of two would be six: the site's total across sources allows four.
        Assert.InRange(sink.MaxConcurrentConnections(), 1, 4);
    }
}
