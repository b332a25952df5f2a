using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Tests.Sites;

public sealed class SiteConnectionSlotsTests
{
    [Fact]
    public void NoMoreSlotsThanGrantedAndNoTokenSpentWhenFull()
    {
        var slots = new SiteConnectionSlots();
        var admitted = 0;
        bool Admit() => ++admitted > 0;

        var first = slots.TryTake(1, Admit);
        var second = slots.TryTake(1, Admit);

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.Equal(1, admitted);
        Assert.Equal(1, slots.Held);
        Assert.Null(slots.TryTake(2, () => false));
    }

    [Fact]
    public void ALeaseDisposedTwiceOrThroughACopyReleasesExactlyOneSlot()
    {
        var slots = new SiteConnectionSlots();
        var lease = slots.TryTake(2, () => true)!;
        var copy = lease;
        slots.TryTake(2, () => true);

        lease.Dispose();
        lease.Dispose();
        copy.Dispose();

        Assert.Equal(1, slots.Held);
    }
}
