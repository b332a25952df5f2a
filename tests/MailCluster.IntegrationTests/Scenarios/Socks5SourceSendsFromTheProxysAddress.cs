using System.Net;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// A source whose address lives on the proxy's host (Debian's dante on loopback, external address
/// 127.0.0.54) beside one bound locally (127.0.0.55): the MX sees mail from both; with the proxy
/// gone, the proxied source fails as a source (logged, counted) and the bound one carries it all.
/// </summary>
[Trait("Category", "Integration")]
public sealed class Socks5SourceSendsFromTheProxysAddress
{
    private const string Mx = "127.0.16.2";
    private static readonly string[] s_zone = ["mx-host=dest.test,mx.dest.test,10", $"host-record=mx.dest.test,{Mx}"];

    [Fact]
    public async Task TheMxSeesTheProxysExternalAddressAndTheBoundSourceCarriesEverythingOnceTheProxyIsGone()
    {
        var dante = await DanteProxy.StartAsync(IPAddress.Parse("127.0.0.54"));
        var proxyStopped = false;
        try
        {
            await using var world = await MailWorld.StartAsync(
                s_zone, [Mx], sinkDelaySeconds: 0,
                "--Egress:Sources:0:Name=far", "--Egress:Sources:0:Address=127.0.0.54", $"--Egress:Sources:0:Socks5=127.0.0.1:{dante.Endpoint.Port}",
                "--Egress:Sources:1:Name=near", "--Egress:Sources:1:Address=127.0.0.55",
                "--Egress:Pools:0:Name=mixed", "--Egress:Pools:0:Sources:0:Name=far", "--Egress:Pools:0:Sources:1:Name=near",
                "--Shaping:Rules:0:Match=dest.test", "--Shaping:Rules:0:MaxConnections=2", "--Shaping:Rules:0:BackoffPeriod=00:05:00");

            var sent = await SmtpSource.SendAsync(world.Silo.SmtpAddress, sessions: 4, messages: 200, sizeBytes: 1024, recipient: "bob@dest.test");
            Assert.True(sent.ExitCode == 0, sent.ToString());
            var sink = world.Sink(Mx);
            var first = await sink.WaitForMessagesAsync(200, TimeSpan.FromSeconds(90), world.Context);
            var byPeer = first.GroupBy(m => m.Peer).ToDictionary(g => g.Key, g => g.Count());
            var shares = string.Join(", ", byPeer.Select(p => $"{p.Key} {p.Value}"));
            Assert.True(byPeer.Keys.Order().SequenceEqual(["127.0.0.54", "127.0.0.55"]), $"{shares}\n{dante.Output}\n{world.Context()}");
            Assert.True(byPeer["127.0.0.54"] is >= 80 and <= 120, shares);

            // The proxy goes away: its source fails at the proxy, the bound one delivers the rest.
            proxyStopped = true;
            await dante.DisposeAsync();
            sent = await SmtpSource.SendAsync(world.Silo.SmtpAddress, sessions: 2, messages: 50, sizeBytes: 1024, recipient: "carol@dest.test");
            Assert.True(sent.ExitCode == 0, sent.ToString());
            var all = await sink.WaitForMessagesAsync(250, TimeSpan.FromSeconds(90), world.Context);
            Assert.All(all.Skip(200), m => Assert.Equal("127.0.0.55", m.Peer));
            await world.WaitForMetricAsync("mailcluster_delivery_source_failures_total{source=\"far\",stage=\"proxy\"}", 1);
            await world.WaitForEmptySpoolAsync();
        }
        finally
        {
            if (!proxyStopped)
            {
                await dante.DisposeAsync();
            }
        }
    }
}
