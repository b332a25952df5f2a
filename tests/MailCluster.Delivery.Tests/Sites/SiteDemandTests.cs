using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Tests.Sites;

public sealed class SiteDemandTests
{
    [Fact]
    public void ADomainThatJoinsWantsAConnectionAndMessages()
    {
        var demand = new SiteDemand();
        Assert.True(demand.IsEmpty);
        Assert.Equal((null, null), demand.Representative);

        demand.Add("dest.test", "mx.dest.test", () => { });

        Assert.False(demand.IsEmpty);
        Assert.True(demand.Active);
        Assert.Equal(1, demand.Connections);
        Assert.True(demand.Messages);
        Assert.Equal(("dest.test", "mx.dest.test"), demand.Representative);
    }

    [Fact]
    public void DemandOutgrowsOnlyWhatTheLastReportAskedForAndTheGrant()
    {
        var demand = new SiteDemand();
        demand.Add("a.test", null, () => { });
        demand.Add("b.test", null, () => { });
        demand.Asked(connections: 2, messages: true);

        // Unchanged, or a domain that does not take part: no news.
        Assert.False(demand.Update("a.test", 1, messages: true, granted: 0));
        Assert.False(demand.Update("c.test", 9, messages: true, granted: 0));
        // Past the ask, but within the grant.
        Assert.False(demand.Update("a.test", 3, messages: true, granted: 4));
        Assert.Equal(4, demand.Connections);
        // Past both.
        Assert.True(demand.Update("b.test", 2, messages: true, granted: 4));
    }

    [Fact]
    public void MessagesTheLastReportDidNotAskForAreNews()
    {
        var demand = new SiteDemand();
        demand.Add("a.test", null, () => { });
        demand.Asked(connections: 1, messages: false);

        Assert.False(demand.Update("a.test", 0, messages: false, granted: 1));
        Assert.False(demand.Active);
        Assert.True(demand.Update("a.test", 0, messages: true, granted: 1));
    }

    [Fact]
    public void EveryDomainStillTakingPartIsWoken()
    {
        var demand = new SiteDemand();
        var woken = new List<string>();
        demand.Add("a.test", null, () => woken.Add("a"));
        demand.Add("b.test", null, () => woken.Add("b"));
        demand.Remove("a.test");

        demand.Wakes().ForEach(w => w());

        Assert.Equal(["b"], woken);
    }
}
