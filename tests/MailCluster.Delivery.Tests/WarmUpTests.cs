using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Egress.Sources;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Delivery.Tests;

/// <summary>
/// A new source warming up next to a warm one, on a fake clock that starts shortly before
/// midnight UTC: its cap at a site holds across silos, its mail goes to the warm source or waits,
/// and its cap grows the next day.
/// </summary>
public sealed class WarmUpTests
{
    private static readonly DateTimeOffset s_beforeMidnight = new(2026, 12, 1, 23, 58, 0, TimeSpan.Zero);

    private static ShapingOptions Shaping(string? rate = null) =>
        new() { Rules = [new ShapingRule { Match = "dest.test", MaxConnections = 2, MessageRate = rate, BackoffPeriod = TimeSpan.FromMinutes(1) }] };

    /// <summary>Sources "fresh" (warming up from 2026-12-01 by <paramref name="days"/>) and "warm", equal weights in pool "bulk".</summary>
    private static EgressOptions Pool(PoolOverflow overflow, params WarmUpStepOptions[] days) => new()
    {
        Sources =
        [
            new EgressSourceOptions { Name = "fresh", Address = "127.0.0.51", WarmUp = new WarmUpOptions { Start = new DateOnly(2026, 12, 1), Days = [.. days] } },
            new EgressSourceOptions { Name = "warm", Address = "127.0.0.52" },
        ],
        Pools = [new EgressPoolOptions { Name = "bulk", Overflow = overflow, Sources = [new EgressPoolMemberOptions { Name = "fresh" }, new EgressPoolMemberOptions { Name = "warm" }] }],
    };

    private static async Task EnqueueAsync(ActorHarness harness, int count, string prefix)
    {
        for (var i = 0; i < count; i++)
        {
            await harness.EnqueueAsync($"{prefix}{i}@dest.test");
        }
    }

    /// <summary>
    /// Waits for <paramref name="condition"/>, stepping the clock a second at a time meanwhile:
    /// connection leases move between silos at their periodic exchanges.
    /// </summary>
    private static Task StepUntilAsync(ActorHarness[] silos, FakeTimeProvider time, Func<Task<bool>> condition) =>
        silos[0].WaitUntilAsync(async () =>
        {
            if (await condition())
            {
                return true;
            }
            time.Advance(TimeSpan.FromSeconds(1));
            return false;
        });

    private static Task DeliverAllAsync(ActorHarness[] silos, FakeTimeProvider time) =>
        StepUntilAsync(silos, time, async () => (await Task.WhenAll(silos.Select(s => s.Spool.CountAsync(CancellationToken.None).AsTask()))).All(c => c.Messages == 0));

    private static int SentBy(IEnumerable<ActorHarness> silos, string source) => silos.Sum(s => s.Connector.SendsBySource.GetValueOrDefault(source));

    [Fact]
    public async Task ThreeSilosNeverExceedTheDayOneCapTogetherTheRestGoesToTheWarmSourceAndTheCapGrowsOnDayTwo()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 23, 0, 0, TimeSpan.Zero));
        var egress = Pool(PoolOverflow.Spread, new WarmUpStepOptions { Day = 1, PerDay = 100 }, new WarmUpStepOptions { Day = 2, PerDay = 200 });
        await using var first = new ActorHarness(Shaping("20/s"), egress: egress, time: time);
        await using var second = new ActorHarness(Shaping("20/s"), egress: egress, time: time, sites: first.Sites.AsSilo("silo-2"));
        await using var third = new ActorHarness(Shaping("20/s"), egress: egress, time: time, sites: first.Sites.AsSilo("silo-3"));
        ActorHarness[] silos = [first, second, third];
        foreach (var silo in silos)
        {
            await EnqueueAsync(silo, 200, "day1-");
            silo.Directory.Wake("dest.test");
        }
        // Each (source, site)'s message rate is shared between the silos: all three send from both sources at once.
        Array.ForEach(silos, s => s.Connector.OpenAll());
        await DeliverAllAsync(silos, time);

        // Day 1: every message delivered, at most 100 of them from the fresh source, across the three silos.
        Assert.Equal(600, SentBy(silos, "fresh") + SentBy(silos, "warm"));
        Assert.InRange(SentBy(silos, "fresh"), 80, 100);
        Assert.True(silos.Count(s => s.Connector.SendsBySource.ContainsKey("fresh")) >= 2, "the cap was shared by more than one silo");
        var day1 = await first.Sites.ViewAsync("dest.test@fresh");
        Assert.InRange(day1.WarmUpToday, SentBy(silos, "fresh"), 100);

        // What mailctl sources shows, once the silos reported their activity to the source's grain.
        foreach (var (source, sites) in silos.SelectMany(s => s.Activity.Take()))
        {
            await first.SourceRecords.ReportAsync(source, sites);
        }
        var sources = await first.Queue.SourceActivityAsync();
        Assert.Null(sources["warm"].WarmUp);
        var warmUp = sources["fresh"].WarmUp!;
        Assert.Equal((1, new DateOnly(2026, 12, 1)), (warmUp.Day, warmUp.Start));
        Assert.Equal(new SiteWarmUpStatus("dest.test", 100, null, day1.WarmUpToday, day1.WarmUpThisHour), Assert.Single(warmUp.Sites));

        // Past midnight (UTC) it is day 2: the fresh source takes its share again, up to 200.
        time.Advance(new DateTimeOffset(2026, 12, 2, 0, 0, 1, TimeSpan.Zero) - time.GetUtcNow());
        var before = SentBy(silos, "fresh");
        foreach (var silo in silos)
        {
            await EnqueueAsync(silo, 200, "day2-");
            silo.Directory.Wake("dest.test");
        }
        await DeliverAllAsync(silos, time);
        Assert.Equal(1200, SentBy(silos, "fresh") + SentBy(silos, "warm"));
        Assert.InRange(SentBy(silos, "fresh") - before, 101, 200);
        Assert.InRange((await first.Sites.ViewAsync("dest.test@fresh")).WarmUpToday, SentBy(silos, "fresh") - before, 200);
    }

    [Fact]
    public async Task APoolThatHoldsOverflowKeepsTheCappedSourcesShareQueuedUntilItsNextDay()
    {
        var time = new FakeTimeProvider(s_beforeMidnight);
        await using var harness = new ActorHarness(Shaping(), egress: Pool(PoolOverflow.Hold, new WarmUpStepOptions { Day = 1, PerDay = 10 }), time: time);
        harness.Connector.OpenAll();
        await EnqueueAsync(harness, 100, "r");
        harness.Directory.Wake("dest.test");

        // The fresh source sends its 10; the warm one leads it by the pool's slack (10 per unit of
        // weight) and stops: the other 70 wait in the queue, none of them in flight.
        await harness.WaitForAsync(c => c.Messages == 70 && c.InFlightRecipients == 0);
        Assert.Equal(10, harness.Connector.SendsBySource["fresh"]);
        Assert.Equal(20, harness.Connector.SendsBySource["warm"]);

        // Day 2 is past the schedule's last step: the source is warm and the rest goes out, shared by
        // weight from where day 1 left it: the held share is kept (not forfeited while the source's
        // lease renews), so the warm source ends at most the slack ahead: 45-55 of 100 for fresh.
        harness.AdvanceBySeconds(180);
        harness.Directory.Wake("dest.test");
        await harness.WaitForAsync(c => c.Messages == 0);
        Assert.InRange(harness.Connector.SendsBySource["fresh"], 45, 55);
    }
}
