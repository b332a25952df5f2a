using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Tests.Sites;

public sealed class SiteConnectionSlotsTests
{
    [Fact]
    public void NoMoreSlotsThanGrantedAndNoTokenSpentWhenFull()
    {
        using var slots = new SiteConnectionSlots();
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
        using var slots = new SiteConnectionSlots();
        var lease = slots.TryTake(2, () => true)!;
        var copy = lease;
        slots.TryTake(2, () => true);

        lease.Dispose();
        lease.Dispose();
        copy.Dispose();

        Assert.Equal(1, slots.Held);
    }

    [Fact]
    public void ALapseCutsTheLeasesHeldAndLaterOnesGetAFreshToken()
    {
        using var slots = new SiteConnectionSlots();
        Assert.False(slots.Lapse());
        var open = slots.TryTake(2, () => true)!;

        Assert.True(slots.Lapse());
        var later = slots.TryTake(2, () => true)!;

        Assert.True(open.Lapsed.IsCancellationRequested);
        Assert.False(later.Lapsed.IsCancellationRequested);
        // A slot stays held until its socket closed, lapsed or not.
        Assert.Equal(2, slots.Held);
        open.Dispose();
        Assert.Equal(1, slots.Held);
    }
}
