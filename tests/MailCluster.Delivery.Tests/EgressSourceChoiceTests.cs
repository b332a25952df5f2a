using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Egress.Sources;

namespace MailCluster.Delivery.Tests;

/// <summary>A domain actor spreading its mail over a pool's sources: by weight, around a blocked source, with limits per (source, site).</summary>
public sealed class EgressSourceChoiceTests
{
    private static ShapingOptions Shaping(int connections = 2) =>
        new() { Rules = [new ShapingRule { Match = "dest.test", MaxConnections = connections, BackoffPeriod = TimeSpan.FromMinutes(1) }] };

    private static EgressOptions Pool(params (string Name, int Weight)[] members) => new()
    {
        Sources = [.. members.Select((m, i) => new EgressSourceOptions { Name = m.Name, Address = $"127.0.0.{51 + i}" })],
        Pools = [new EgressPoolOptions { Name = "bulk", Sources = [.. members.Select(m => new EgressPoolMemberOptions { Name = m.Name, Weight = m.Weight })] }],
    };

    /// <summary>Pools "transactional" (source t) and "bulk" (sources b1, b2), bulk the default.</summary>
    private static EgressOptions TwoPools() => new()
    {
        Sources = [new EgressSourceOptions { Name = "t", Address = "127.0.0.51" }, new EgressSourceOptions { Name = "b1", Address = "127.0.0.52" }, new EgressSourceOptions { Name = "b2", Address = "127.0.0.53" }],
        Pools =
        [
            new EgressPoolOptions { Name = "transactional", Sources = [new EgressPoolMemberOptions { Name = "t" }] },
            new EgressPoolOptions { Name = "bulk", Sources = [new EgressPoolMemberOptions { Name = "b1" }, new EgressPoolMemberOptions { Name = "b2" }] },
        ],
        DefaultPool = "bulk",
    };

    private static async Task EnqueueAsync(ActorHarness harness, int count, string prefix = "r", string? pool = null)
    {
        for (var i = 0; i < count; i++)
        {
            await harness.EnqueueAsync($"{prefix}{i}@dest.test", pool);
        }
    }

    /// <summary>Sends 400 messages through sources a, b, c of weights 1, 1, 2 and checks each had its share.</summary>
    private static async Task<IReadOnlyDictionary<string, int>> DeliverFourHundredByWeightAsync(ActorHarness harness)
    {
        harness.Connector.OpenAll();
        await EnqueueAsync(harness, 400);

        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);

        var sends = harness.Connector.SendsBySource;
        Assert.Equal(400, sends.Values.Sum());
        Assert.InRange(sends.GetValueOrDefault("a"), 85, 115);
        Assert.InRange(sends.GetValueOrDefault("b"), 85, 115);
        Assert.InRange(sends.GetValueOrDefault("c"), 170, 230);
        return sends;
    }

    [Fact]
    public async Task EachMessageLeavesFromTheSourcesOfItsOwnPool()
    {
        await using var harness = new ActorHarness(Shaping(), egress: TwoPools());
        harness.Connector.OpenAll();
        await EnqueueAsync(harness, 30, "tx", "transactional");
        await EnqueueAsync(harness, 20, "chosen", "bulk");
        await EnqueueAsync(harness, 20, "unchosen");

        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);

        var sends = harness.Connector.SendsBySource;
        Assert.Equal(30, sends["t"]);
        Assert.Equal(40, sends["b1"] + sends["b2"]);
        Assert.InRange(sends["b1"], 10, 30);
        Assert.Equal(["dest.test@b1", "dest.test@b2", "dest.test@t"], harness.Sites.SitesAsked.Order());
    }

    [Fact]
    public async Task APoolWhoseSourcesAreAllSuspendedLeavesItsMailQueuedWithoutHoldingUpAnotherPools()
    {
        await using var harness = new ActorHarness(Shaping(), egress: TwoPools());
        harness.Connector.OpenAll();
        Assert.True(await harness.Queue.SuspendAsync("dest.test", CancellationToken.None, source: "t"));
        // arrange: more transactional mail than the ready window holds, queued ahead of the bulk mail
        var window = harness.Runtime.Options.ReadyWindow;
        await EnqueueAsync(harness, window + 50, "tx", "transactional");
        await EnqueueAsync(harness, 20, "bulk");

        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == window + 50 && c.InFlightRecipients == 0);

        Assert.Equal(20, harness.Connector.Sends);
        Assert.False(harness.Connector.SendsBySource.ContainsKey("t"));

        // The source is resumed: the pool's mail, left in the queue, goes out.
        Assert.True(await harness.Queue.ResumeAsync("dest.test", CancellationToken.None, source: "t"));
        harness.AdvanceBySeconds(3);
        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);
        Assert.Equal(window + 50, harness.Connector.SendsBySource["t"]);
    }

    [Fact]
    public async Task MailOfAPoolNoLongerConfiguredWaitsInTheQueueWithTheReason()
    {
        await using var harness = new ActorHarness(Shaping(), egress: TwoPools());
        harness.Connector.OpenAll();
        var queueId = await harness.EnqueueAsync(["r@dest.test"], Smtp.Protocol.DsnReturn.Unspecified, "Subject: t\r\n\r\nx\r\n"u8.ToArray(), pool: "retired");

        harness.Directory.Wake("dest.test");
        await harness.WaitUntilAsync(async () => (await harness.Spool.GetMessageAsync(queueId, CancellationToken.None))!.Recipients[0].Attempts == 1);

        var recipient = (await harness.Spool.GetMessageAsync(queueId, CancellationToken.None))!.Recipients[0];
        Assert.Equal(Spool.RecipientState.Queued, recipient.State);
        Assert.Contains("egress pool 'retired' is not configured", recipient.LastReply, StringComparison.Ordinal);
        Assert.Equal(0, harness.Connector.Sends);
    }

    [Fact]
    public async Task MessagesGoToTheSourcesInProportionToTheirWeightsEachUnderItsOwnSiteLimits()
    {
        await using var harness = new ActorHarness(Shaping(), egress: Pool(("a", 1), ("b", 1), ("c", 2)));

        var sends = await DeliverFourHundredByWeightAsync(harness);
        // Each source has its own grain for the site, whose limit holds for it alone: 2 connections each.
        Assert.Equal(["dest.test@a", "dest.test@b", "dest.test@c"], harness.Sites.SitesAsked.Order());
        Assert.InRange(harness.Connector.MaxConcurrent, 3, 6);
        // What mailctl sources reads: every connection and delivered message, counted for its source and site.
        var activity = harness.Activity.Take();
        Assert.Equal(sends.OrderBy(s => s.Key), activity.Select(a => KeyValuePair.Create(a.Key, Assert.Single(a.Value).Messages)).OrderBy(a => a.Key));
        Assert.All(activity.Values, a => Assert.Equal("dest.test", a[0].Site));
        Assert.Equal(harness.Connector.ConnectsBySource.Values.Sum(), activity.Values.Sum(a => a[0].Connections));
        Assert.Empty(harness.Activity.Take());
    }

    [Fact]
    public async Task ABlockedSourceIsBackedOffWhileTheOthersCarryItsShareAndItComesBackWhenItRecovers()
    {
        await using var harness = new ActorHarness(Shaping(), egress: Pool(("a", 1), ("b", 1), ("c", 2)));
        harness.Connector.OpenAll();
        harness.Connector.BlockedSources["c"] = true;
        await EnqueueAsync(harness, 200);

        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);

        // Every recipient went out on its first attempt through a or b; c was tried, then left alone.
        Assert.Equal(200, harness.Connector.Sends);
        Assert.False(harness.Connector.SendsBySource.ContainsKey("c"));
        Assert.InRange(harness.Connector.ConnectsBySource["c"], 1, 2);

        // c recovers; once its backoff is over it takes its share again.
        harness.Connector.BlockedSources.Clear();
        harness.AdvanceBySeconds(61);
        await EnqueueAsync(harness, 100, "later");
        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);
        Assert.InRange(harness.Connector.SendsBySource.GetValueOrDefault("c"), 30, 70);
    }

    [Fact]
    public async Task ASiteTotalCapsTheConnectionsOfAllSourcesTogether()
    {
        var shaping = new ShapingOptions { Rules = [new ShapingRule { Match = "dest.test", MaxConnections = 2, SiteMaxConnections = 3 }] };
        await using var harness = new ActorHarness(shaping, egress: Pool(("a", 1), ("b", 1), ("c", 1)));
        await EnqueueAsync(harness, 30);

        harness.Directory.Wake("dest.test");
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await harness.Connector.SendStarted.WaitAsync(TimeSpan.FromSeconds(10)));
        }
        // Three sources of two connections each would make six; the site's total allows three.
        var actor = Assert.Single(harness.Directory.Active);
        await actor.InspectAsync();
        Assert.Equal(3, harness.Connector.MaxConcurrent);
        Assert.Contains("dest.test@*", harness.Sites.SitesAsked);

        harness.Connector.OpenAll();
        await harness.WaitForAsync(c => c.Messages == 0);
        Assert.Equal(30, harness.Connector.Sends);
        Assert.InRange(harness.Connector.MaxConcurrent, 1, 3);
    }

    [Fact]
    public async Task UnderTheSitesTotalTheSourcesStillShareByWeight()
    {
        // Three sources of two connections each under a total of two: the connections rotate so
        // that every source sends its share, instead of the first two keeping the site to themselves.
        var shaping = new ShapingOptions { Rules = [new ShapingRule { Match = "dest.test", MaxConnections = 2, SiteMaxConnections = 2 }] };
        await using var harness = new ActorHarness(shaping, egress: Pool(("a", 1), ("b", 1), ("c", 2)));

        await DeliverFourHundredByWeightAsync(harness);
        Assert.InRange(harness.Connector.MaxConcurrent, 1, 2);
    }

    [Fact]
    public async Task WithoutSourcesTheImplicitSourceKeepsTheSitesOwnGrain()
    {
        await using var harness = new ActorHarness(Shaping());
        harness.Connector.OpenAll();
        await EnqueueAsync(harness, 5);

        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);

        Assert.Equal(["dest.test"], harness.Sites.SitesAsked);
        Assert.Equal(5, harness.Connector.SendsBySource[EgressSource.ImplicitName]);
    }

    [Fact]
    public async Task SuspendingADomainSuspendsItForEverySourceAndResumingBringsThemAllBack()
    {
        await using var harness = new ActorHarness(Shaping(), egress: Pool(("a", 1), ("b", 1)));
        harness.Connector.OpenAll();
        Assert.True(await harness.Queue.SuspendAsync("dest.test", CancellationToken.None));
        await EnqueueAsync(harness, 4);
        harness.Directory.Wake("dest.test");
        var actor = Assert.Single(harness.Directory.Active);
        await harness.WaitUntilAsync(async () => (await actor.InspectAsync()).Suspended);
        Assert.Equal(0, harness.Connector.Sends);

        Assert.True(await harness.Queue.ResumeAsync("dest.test", CancellationToken.None));
        harness.AdvanceBySeconds(3);
        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);
        Assert.Equal(4, harness.Connector.Sends);
    }
}
