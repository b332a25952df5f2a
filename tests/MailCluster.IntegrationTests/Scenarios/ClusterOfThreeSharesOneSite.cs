using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>Cluster scenarios run one at a time: several silos on two cores miss membership probes while other tests run.</summary>
[CollectionDefinition("Cluster", DisableParallelization = true)]
public sealed class ClusterCollection;

[Collection("Cluster")]
[Trait("Category", "Integration")]
public sealed class ClusterOfThreeSharesOneSite
{
    private static readonly string[] s_zone =
    [
        "mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.31.2",
        "mx-host=source.test,mx.source.test,10", "host-record=mx.source.test,127.0.31.3",
    ];

    [Fact]
    public async Task ThreeSilosOnAzuriteNeverOpenMoreThanTheSitesConnectionsAndDeliverEverything()
    {
        // Every message takes the sink 0.2 s, so each silo would open its own two connections if it decided alone.
        await using var world = await ClusterWorld.StartAsync(
            s_zone, ["127.0.31.2", "127.0.31.3"], sinkDelaySeconds: 0.2, silos: 3,
            "--Shaping:Rules:0:Match=dest.test", "--Shaping:Rules:0:MaxConnections=2");
        const int PerSilo = 15;
        var sends = world.Silos.Select(s => SmtpSource.SendAsync(s.SmtpAddress, sessions: 3, messages: PerSilo, sizeBytes: 512, recipient: "bob@dest.test"));
        foreach (var sent in await Task.WhenAll(sends))
        {
            Assert.True(sent.ExitCode == 0, sent.ToString());
        }

        var sink = world.Sink("127.0.31.2");
        var delivered = await sink.WaitForMessagesAsync(3 * PerSilo, TimeSpan.FromSeconds(90), world.Context);
        Assert.Equal(3 * PerSilo, delivered.Count);
        var most = sink.MaxConcurrentConnections();
        Assert.True(most is >= 1 and <= 2, $"the sink saw {most} connections at once\n{world.Context()}");
    }

    [Fact]
    public async Task OperatorsActOnTheWholeClusterFromAnySilo()
    {
        using var files = new Testing.IO.TempDirectory();
        var shaping = Path.Combine(files.Path, "shaping.json");
        // Silo 2 has its own copy of the rules file, as a pod whose ConfigMap volume is updated later than the others'.
        var lagging = Path.Combine(files.Path, "shaping-silo2.json");
        await File.WriteAllTextAsync(shaping, """{ "Shaping": { "Rules": [ { "Match": "dest.test", "MaxConnections": 2 } ] } }""");
        File.Copy(shaping, lagging);
        await using var world = await ClusterWorld.StartAsync(
            s_zone, ["127.0.31.2", "127.0.31.3"], sinkDelaySeconds: 0, silos: 2, $"--ShapingFile={shaping}", "--Suppression:RefreshInterval=00:00:01");
        await world.StartSiloAsync($"--ShapingFile={lagging}", "--Suppression:RefreshInterval=00:00:01");

        // A suspension made on silo 0 holds mail on silo 1.
        var suspend = await world.MailctlAsync(0, "suspend", "dest.test");
        Assert.True(suspend.ExitCode == 0, suspend.ToString());
        var sent = await Swaks.SendAsync(world.Silos[1].SmtpAddress, "alice@source.test", "bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        // Silo 1's actor for the domain is told of the due message twice and holds it both times.
        await world.Silos[1].WaitForMetricAsync("mailcluster_delivery_suspended_holds_total{domain=\"dest.test\"}", 2, world.Context);
        Assert.Empty(world.Sink("127.0.31.2").Messages());
        // Silo 2 has no mail for the domain; its site grain still says it is suspended.
        var status = await world.MailctlAsync(2, "domains", "dest.test");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(status.Output, @"(?m)^dest\.test\s+0\s+0\s+0\s+0\s+-\s+0\s+no\s+yes$"), status.Output);

        // Every silo shows the same rules; a reload asked of silo 1 reaches silo 0 at once, and silo 2,
        // whose copy is still the old one, says so until its copy is updated too.
        var before = await SameShapingEverywhereAsync(world, previous: null);
        await File.WriteAllTextAsync(shaping, """{ "Shaping": { "Rules": [ { "Match": "dest.test", "MaxConnections": 3 } ] } }""");
        var reload = await world.MailctlAsync(1, "reload-shaping");
        Assert.True(reload.ExitCode == 0, reload.ToString());
        Assert.Contains("shaping reloaded: 1 rule(s)", reload.Output, StringComparison.Ordinal);
        CommandResult? silos = null;
        await Polling.UntilAsync(
            async () => (silos = await world.MailctlAsync(0, "silos")).Output.Contains("its last shaping reload failed", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            () => $"silo 2 never said its rules file differs:\n{silos}\n{world.Context()}");
        File.Copy(shaping, lagging, overwrite: true);
        Assert.NotEqual(before, await SameShapingEverywhereAsync(world, previous: before));

        // An address suppressed on silo 0 is refused by silo 2 once its copy of the shared list has it.
        var suppress = await world.MailctlAsync(0, "suppress", "add", "gone@dest.test");
        Assert.True(suppress.ExitCode == 0, suppress.ToString());
        await ListedAsync(world, 2, "gone@dest.test");
        var refused = await Swaks.SendAsync(world.Silos[2].SmtpAddress, "alice@source.test", "gone@dest.test");
        Assert.Contains("550 5.1.1 Recipient is on the suppression list", refused.Output, StringComparison.Ordinal);

        var resume = await world.MailctlAsync(2, "resume", "dest.test");
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Single(await world.Sink("127.0.31.2").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
    }

    private static async Task ListedAsync(ClusterWorld world, int silo, string address)
    {
        CommandResult? list = null;
        await Polling.UntilAsync(
            async () => (list = await world.MailctlAsync(silo, "suppress", "list")).Output.Contains(address + " ", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            () => $"silo {silo} never listed {address}:\n{list}\n{world.Context()}");
    }

    /// <summary>
    /// Asks silo 0 for the members until all three are active with one shaping hash other than
    /// <paramref name="previous"/> (each silo reports once a <c>ClusterShaping.Period</c>); returns it.
    /// </summary>
    private static async Task<string> SameShapingEverywhereAsync(ClusterWorld world, string? previous)
    {
        CommandResult? silos = null;
        var hashes = new List<string>();
        await Polling.UntilAsync(
            async () =>
            {
                silos = await world.MailctlAsync(0, "silos");
                hashes = [.. System.Text.RegularExpressions.Regex.Matches(silos.Output, @"(?m)^\S+( \*)?\s+127\.0\.0\.1:\d+\s+active\s+([0-9a-f]{12})$").Select(m => m.Groups[2].Value)];
                return hashes.Count == 3 && hashes.Distinct().Count() == 1 && hashes[0] != previous;
            },
            TimeSpan.FromSeconds(30),
            () => $"the silos did not all show one new shaping hash:\n{silos}\n{world.Context()}");
        return hashes[0];
    }
}
