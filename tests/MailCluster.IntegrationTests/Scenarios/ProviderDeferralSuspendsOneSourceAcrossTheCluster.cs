using System.Text.RegularExpressions;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// Yahoo's <c>421 4.7.0 [TSS04]</c> at the greeting for one source of a pool, under the shipped
/// response rules, with three silos: the rule suspends that (source, site) at its grain for every
/// silo, so after the few connections that learnt it no silo connects from that source again
/// (sampled over a second batch); the pool's other source carries all the mail, and
/// <c>mailctl domains</c> names the rule.
/// </summary>
[Collection("Cluster")]
[Trait("Category", "Integration")]
public sealed class ProviderDeferralSuspendsOneSourceAcrossTheCluster
{
    private const string Mx = "127.0.36.2";
    private const string Deferred = "127.0.0.72";

    // The MX host's name makes the site a Yahoo one for the provider rules.
    private static readonly string[] s_zone = ["mx-host=yahoo.test,mta5.am0.yahoodns.net,10", $"host-record=mta5.am0.yahoodns.net,{Mx}"];

    [Fact]
    public async Task TheSourceYahooDefersIsSuspendedForEverySiloWhileTheOtherCarriesTheMail()
    {
        await using var world = await ClusterWorld.StartAsync(
            s_zone, [Mx], [Deferred], silos: 3,
            $"--ResponseRulesFile={RepositoryFiles.Path("deploy/response-rules.json")}",
            "--Egress:Sources:0:Name=ip71", "--Egress:Sources:0:Address=127.0.0.71",
            "--Egress:Sources:1:Name=ip72", $"--Egress:Sources:1:Address={Deferred}",
            "--Egress:Pools:0:Name=bulk", "--Egress:Pools:0:Sources:0:Name=ip71", "--Egress:Pools:0:Sources:1:Name=ip72",
            "--Shaping:Rules:0:Match=yahoo.test", "--Shaping:Rules:0:MaxConnections=2");
        var sink = world.Sink(Mx);

        await SendAsync(world, 30);
        await sink.WaitForMessagesAsync(90, TimeSpan.FromSeconds(120), world.Context);
        var refusedFirst = sink.RefusedByPeer().GetValueOrDefault(Deferred);
        // Every silo that tried the source was refused at most once per connection it had open then.
        Assert.InRange(refusedFirst, 1, 3 * 2);
        var status = await world.MailctlAsync(0, "domains", "yahoo.test");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Matches(new Regex(@"(?m)^ip72\s+0\s+yes\s+no\s+yahoo-temporary-deferral \((01|02):\d\d:\d\d left\)\s*$"), status.Output);

        // A second batch on every silo: nobody connects from the suspended source again.
        await SendAsync(world, 30);
        var all = await sink.WaitForMessagesAsync(180, TimeSpan.FromSeconds(120), world.Context);
        Assert.Equal(refusedFirst, sink.RefusedByPeer().GetValueOrDefault(Deferred));
        Assert.All(all, m => Assert.Equal("127.0.0.71", m.Peer));
    }

    private static async Task SendAsync(ClusterWorld world, int perSilo)
    {
        var sends = world.Silos.Select(s => SmtpSource.SendAsync(s.SmtpAddress, sessions: 3, messages: perSilo, sizeBytes: 512, recipient: "bob@yahoo.test"));
        Assert.All(await Task.WhenAll(sends), sent => Assert.True(sent.ExitCode == 0, sent.ToString()));
    }
}
