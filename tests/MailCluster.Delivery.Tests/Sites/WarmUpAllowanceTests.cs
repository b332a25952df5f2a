using MailCluster.Cluster;
using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Shaping;

namespace MailCluster.Delivery.Tests.Sites;

/// <summary>The site grain's warm-up counting on a stepped clock: quotas under the day's and the hour's caps, across silos, windows and grain moves.</summary>
public sealed class WarmUpAllowanceTests
{
    private static readonly DateTimeOffset s_start = new(2026, 12, 1, 22, 10, 0, TimeSpan.Zero);
    private static readonly DomainShaping s_limits = new("dest.test", 10, 100, 100, null, null, TlsPolicy.Opportunistic, TimeSpan.FromMinutes(1));

    private static SiteReport Report(string silo, WarmUpCap? cap, bool wants = true, int unspent = 0, bool slowedDown = false) =>
        new(silo, "dest.test", null, Guid.Empty, 0, 1, wants, 0, 0, 0, slowedDown, WarmUp: cap, UnspentQuota: unspent);

    private static SiteLedger Ledger(SiteState? state = null, DateTimeOffset? now = null) => new(Guid.NewGuid(), state ?? new SiteState(), now ?? s_start, ClusterTimings.Defaults);

    [Fact]
    public void ThreeSilosSpendingWhatTheyGetNeverExceedTheDailyCapAndAreCappedUntilMidnight()
    {
        var ledger = Ledger();
        var cap = new WarmUpCap(100, null);
        var (spent, now) = (0, s_start);
        var capped = new Dictionary<string, TimeSpan>();
        for (var round = 0; round < 50; round++)
        {
            foreach (var silo in new[] { "a", "b", "c" })
            {
                now = now.AddMilliseconds(100);
                var quota = ledger.Exchange(Report(silo, cap), s_limits, now).WarmUp!;
                spent += quota.Messages;
                capped[silo] = quota.CappedFor;
                Assert.InRange(spent, 0, 100);
            }
        }
        Assert.Equal(100, spent);
        Assert.Equal(100, ledger.View("s", now).WarmUpToday);
        // Nothing is left today: each silo holds the source back until 00:00 UTC.
        var untilMidnight = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero) - now;
        Assert.All(capped.Values, c => Assert.InRange(c, untilMidnight, untilMidnight + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void EachSiloGetsAPartOfWhatIsLeftSoThatSilosAskingLaterFindSome()
    {
        var ledger = Ledger();
        var cap = new WarmUpCap(100, null);
        Assert.Equal(50, ledger.Exchange(Report("a", cap), s_limits, s_start).WarmUp!.Messages);
        Assert.Equal(13, ledger.Exchange(Report("b", cap), s_limits, s_start).WarmUp!.Messages);
        Assert.Equal(7, ledger.Exchange(Report("c", cap), s_limits, s_start).WarmUp!.Messages);
        Assert.Equal(TimeSpan.Zero, ledger.Exchange(Report("c", cap), s_limits, s_start).WarmUp!.CappedFor);
    }

    [Fact]
    public void TheHourlyCapHoldsWithinTheDailyOneAndEachRenewsAtItsOwnEnd()
    {
        var ledger = Ledger();
        var cap = new WarmUpCap(25, 10);
        var start = new DateTimeOffset(2026, 12, 1, 20, 10, 0, TimeSpan.Zero);
        var (spent, quota) = (0, new WarmUpQuota(0, TimeSpan.Zero));
        while (quota.CappedFor == TimeSpan.Zero)
        {
            quota = ledger.Exchange(Report("a", cap), s_limits, start).WarmUp!;
            spent += quota.Messages;
        }
        // 10 at 20:xx, then nothing until 21:00.
        Assert.Equal((10, TimeSpan.FromMinutes(50)), (spent, quota.CappedFor));

        spent = 0;
        for (var i = 0; i < 40; i++)
        {
            spent += ledger.Exchange(Report("a", cap), s_limits, start.AddHours(1).AddMinutes(i)).WarmUp!.Messages;
        }
        Assert.Equal(10, spent);

        // 22:xx: the day has 5 left, after which the source waits for 00:00, not 23:00.
        spent = 0;
        for (var i = 0; i < 40; i++)
        {
            quota = ledger.Exchange(Report("a", cap), s_limits, start.AddHours(2).AddSeconds(i)).WarmUp!;
            spent += quota.Messages;
        }
        Assert.Equal(5, spent);
        Assert.Equal(TimeSpan.FromMinutes(110) - TimeSpan.FromSeconds(39), quota.CappedFor);

        // A new day: the counts start again.
        quota = ledger.Exchange(Report("a", cap), s_limits, start.AddHours(4)).WarmUp!;
        Assert.Equal(5, quota.Messages);
        Assert.Equal((5, 5), (ledger.View("s", start.AddHours(4)).WarmUpToday, ledger.View("s", start.AddHours(4)).WarmUpThisHour));
    }

    [Fact]
    public void AQuotaGivenBackIsCountedOffTheSameDayButNotOffTheNext()
    {
        var ledger = Ledger();
        var cap = new WarmUpCap(10, null);
        Assert.Equal(5, ledger.Exchange(Report("a", cap), s_limits, s_start).WarmUp!.Messages);
        // It sent 2 and gives 3 back: they count no more, and its next quota comes out of 8 left.
        Assert.Equal(4, ledger.Exchange(Report("a", cap, unspent: 3), s_limits, s_start.AddSeconds(2)).WarmUp!.Messages);
        Assert.Equal(6, ledger.View("s", s_start.AddSeconds(2)).WarmUpToday);

        // Past midnight a quota of yesterday given back leaves today's count alone.
        var tomorrow = new DateTimeOffset(2026, 12, 2, 0, 0, 1, TimeSpan.Zero);
        Assert.Equal(5, ledger.Exchange(Report("a", cap, unspent: 4), s_limits, tomorrow).WarmUp!.Messages);
        Assert.Equal(5, ledger.View("s", tomorrow).WarmUpToday);
    }

    [Fact]
    public void AClockSteppedBackNeverStartsTheCountsAgain()
    {
        var ledger = Ledger();
        var cap = new WarmUpCap(10, null);
        for (var i = 0; i < 20; i++)
        {
            ledger.Exchange(Report("a", cap), s_limits, s_start);
        }
        var quota = ledger.Exchange(Report("b", cap), s_limits, s_start.AddHours(-23)).WarmUp!;
        Assert.Equal(0, quota.Messages);
        Assert.Equal(10, ledger.View("s", s_start).WarmUpToday);
    }

    [Fact]
    public void ANewActivationGoesOnFromTheWrittenCountsAndKeepsCountingWhatItDidNotHandOut()
    {
        var state = new SiteState();
        var cap = new WarmUpCap(10, null);
        var first = Ledger(state);
        Assert.Equal(5, first.Exchange(Report("a", cap), s_limits, s_start).WarmUp!.Messages);
        Assert.True(first.StateChanged);

        // The grain moved: the new activation reads the stored counts; what "a" gives back of the old one's quota stays counted.
        var second = Ledger(state, s_start.AddSeconds(1));
        var quota = second.Exchange(Report("a", cap, unspent: 5), s_limits, s_start.AddSeconds(1)).WarmUp!;
        Assert.Equal(3, quota.Messages);
        Assert.Equal(8, second.View("s", s_start.AddSeconds(1)).WarmUpToday);
    }

    [Fact]
    public void APausedSiteHandsOutNoQuotaAndASourceNotWarmingUpGetsNone()
    {
        var ledger = Ledger();
        var cap = new WarmUpCap(10, null);
        var paused = ledger.Exchange(Report("a", cap, slowedDown: true), s_limits, s_start).WarmUp!;
        Assert.Equal((0, TimeSpan.Zero), (paused.Messages, paused.CappedFor));
        Assert.Null(Ledger().Exchange(Report("a", cap: null), s_limits, s_start).WarmUp);
        Assert.Equal(0, ledger.Exchange(Report("a", cap, wants: false), s_limits, s_start.AddMinutes(2)).WarmUp!.Messages);
    }
}
