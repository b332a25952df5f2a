using MailCluster.Cluster.RetryTier;
using MailCluster.Testing.RetryTier;

namespace MailCluster.Delivery.Tests.Tier;

public sealed class RetryEntryCodecTests
{
    [Fact]
    public async Task ASmallEntryTravelsWholeInItsQueueMessage()
    {
        var entry = RetryTierConformance.Entry("dest.test", recipients: 3, contentBytes: 1024);

        var (message, blob) = RetryEntryCodec.Encode(entry);

        Assert.Null(blob);
        Assert.True(message.ToMemory().Length <= RetryEntryCodec.InlineLimit);
        AssertSame(entry, await RetryEntryCodec.DecodeAsync(message, _ => throw new InvalidOperationException("no blob expected")));
    }

    [Fact]
    public async Task BigContentGoesToTheBlobAndTheHeaderStaysSmall()
    {
        var entry = RetryTierConformance.Entry("dest.test", recipients: 2, contentBytes: 50 * 1024);

        var (message, blob) = RetryEntryCodec.Encode(entry);

        Assert.NotNull(blob);
        Assert.True(message.ToMemory().Length < 2048);
        Assert.True(RetryEntryCodec.Parse(message).InBlob);
        AssertSame(entry, await RetryEntryCodec.DecodeAsync(message, id => Task.FromResult(id == entry.Id ? blob : throw new InvalidOperationException(id))));
    }

    [Fact]
    public async Task AThousandRecipientsGoToTheBlobAndARewriteCarriesOnlyTheRemainingOnes()
    {
        var entry = RetryTierConformance.Entry("dest.test", recipients: 1000, contentBytes: 100);
        var (message, blob) = RetryEntryCodec.Encode(entry);
        Assert.Null(RetryEntryCodec.Parse(message).Recipients);

        var remaining = entry with { Recipients = [entry.Recipients[3], entry.Recipients[999]], Attempts = 4, LastReply = "452 4.2.2 Mailbox full", Receives = 7 };
        var rewritten = RetryEntryCodec.Rewrite(message, remaining);

        Assert.True(rewritten.ToMemory().Length < 2048);
        AssertSame(remaining, await RetryEntryCodec.DecodeAsync(rewritten, _ => Task.FromResult(blob!)));
    }

    [Fact]
    public async Task AnInlineRewriteKeepsTheBodyAndChangesTheHeader()
    {
        var entry = RetryTierConformance.Entry("dest.test", recipients: 2);
        var (message, _) = RetryEntryCodec.Encode(entry);
        var updated = entry with { Recipients = [entry.Recipients[1]], Attempts = 2, Receives = 1 };

        AssertSame(updated, await RetryEntryCodec.DecodeAsync(RetryEntryCodec.Rewrite(message, updated), _ => throw new InvalidOperationException("inline")));
    }

    [Theory]
    [InlineData(1, 0, 0)]
    [InlineData(3, 0, 2)]
    [InlineData(5, 4, 0)]
    [InlineData(9, 4, 4)]
    public void UnrecordedReceivesAreTheDequeuesTheEntryDoesNotKnowOf(long dequeueCount, int receives, long unrecorded)
    {
        var entry = RetryTierConformance.Entry("dest.test") with { Receives = receives };
        Assert.Equal(unrecorded, new ReceivedEntry(entry, "p0", "m", "r", dequeueCount).UnrecordedReceives);
    }

    private static void AssertSame(RetryEntry expected, RetryEntry actual)
    {
        Assert.Equal(expected with { Recipients = [], Content = default }, actual with { Recipients = [], Content = default });
        Assert.Equal(expected.Recipients, actual.Recipients);
        Assert.Equal(expected.Content.ToArray(), actual.Content.ToArray());
    }
}
