using MailCluster.Delivery.Tier;

namespace MailCluster.Delivery.Tests.Tier;

public sealed class SiteHoldingsTests
{
    [Fact]
    public void ASiteHoldsAtMostItsBoundAndOthersStillGetTheirs()
    {
        var holdings = new SiteHoldings(perSite: 2);

        Assert.True(holdings.TryHold("slow.test"));
        Assert.True(holdings.TryHold("SLOW.test"));
        // A third entry of the site in backoff goes back; another site is not held up behind it.
        Assert.False(holdings.TryHold("slow.test"));
        Assert.True(holdings.TryHold("fast.test"));

        holdings.Release("slow.test");
        Assert.Equal(1, holdings.Held("slow.test"));
        Assert.True(holdings.TryHold("slow.test"));
    }

    [Fact]
    public void ReleasingMoreThanWasHeldNeverGoesBelowZero()
    {
        var holdings = new SiteHoldings(perSite: 1);
        holdings.Release("a.test");
        Assert.Equal(0, holdings.Held("a.test"));
        Assert.True(holdings.TryHold("a.test"));
        Assert.False(holdings.TryHold("a.test"));
    }
}
