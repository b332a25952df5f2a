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
        AssertSame(entry, (await RetryEntryCodec.DecodeAsync(message, _ => throw new InvalidOperationException("no blob expected"))).Entry);
    }

    [Fact]
    public async Task BigContentGoesToTheBlobAndTheHeaderStaysSmall()
    {
        var entry = RetryTierConformance.Entry("dest.test", recipients: 2, contentBytes: 50 * 1024);

        var (message, blob) = RetryEntryCodec.Encode(entry);

        Assert.NotNull(blob);
        Assert.True(message.ToMemory().Length < 2048);
        Assert.True(RetryEntryCodec.Parse(message).InBlob);
        AssertSame(entry, (await RetryEntryCodec.DecodeAsync(message, id => Task.FromResult(id == entry.Id ? blob : throw new InvalidOperationException(id)))).Entry);
    }

    [Fact]
    public async Task AThousandRecipientsGoToTheBlobAndARewriteCarriesOnlyTheRemainingOnes()
    {
        var entry = RetryTierConformance.Entry("dest.test", recipients: 1000, contentBytes: 100);
        var (message, blob) = RetryEntryCodec.Encode(entry);
        Assert.Null(RetryEntryCodec.Parse(message).Recipients);

        var decoded = await RetryEntryCodec.DecodeAsync(message, _ => Task.FromResult(blob!));

        // Out of order, as jobs come back: the rewrite keeps the blob's order.
        var remaining = entry with { Recipients = [entry.Recipients[999], entry.Recipients[3]], Attempts = 4, LastReply = "452 4.2.2 Mailbox full", Receives = 7 };
        var rewritten = RetryEntryCodec.Rewrite(message, remaining, decoded.BlobRecipients);

        Assert.True(rewritten.ToMemory().Length < 2048);
        AssertSame(remaining with { Recipients = [entry.Recipients[3], entry.Recipients[999]] }, (await RetryEntryCodec.DecodeAsync(rewritten, _ => Task.FromResult(blob!))).Entry);
    }

    [Fact]
    public async Task AnInlineRewriteKeepsTheBodyAndChangesTheHeader()
    {
        var entry = RetryTierConformance.Entry("dest.test", recipients: 2);
        var (message, _) = RetryEntryCodec.Encode(entry);
        var updated = entry with { Recipients = [entry.Recipients[1]], Attempts = 2, Receives = 1 };

        AssertSame(updated, (await RetryEntryCodec.DecodeAsync(RetryEntryCodec.Rewrite(message, updated, null), _ => throw new InvalidOperationException("inline"))).Entry);
    }

    [Fact]
    public async Task AnInlineEntryAtTheLimitStillFitsAfterARewriteWithALongReply()
    {
        // Content that brings the inline message to just under the inline limit.
        var probe = RetryTierConformance.Entry("dest.test", recipients: 2, contentBytes: 100);
        var overhead = RetryEntryCodec.Encode(probe).Message.ToMemory().Length - 100 * 4 / 3;
        var entry = RetryTierConformance.Entry("dest.test", recipients: 2, contentBytes: (RetryEntryCodec.InlineLimit - overhead) * 3 / 4 - 64);
        var (message, blob) = RetryEntryCodec.Encode(entry);
        Assert.Null(blob);

        var updated = entry with { Attempts = 2, LastReply = "452-4.2.2 " + new string('z', 16 * 1024) };
        var rewritten = RetryEntryCodec.Rewrite(message, updated, null);

        Assert.True(rewritten.ToMemory().Length <= RetryEntryCodec.MessageLimit, $"{rewritten.ToMemory().Length} octets");
        var back = (await RetryEntryCodec.DecodeAsync(rewritten, _ => throw new InvalidOperationException("inline"))).Entry;
        Assert.Equal(updated.LastReply![..RetryEntryCodec.StoredReplyLimit], back.LastReply);
    }

    [Fact]
    public async Task AHundredThousandRecipientsRewrittenWithALongReplyStayUnderTheMessageLimit()
    {
        var entry = RetryTierConformance.Entry("dest.test", recipients: 100_000, contentBytes: 100);
        var (message, blob) = RetryEntryCodec.Encode(entry);
        var decoded = await RetryEntryCodec.DecodeAsync(message, _ => Task.FromResult(blob!));
        var updated = entry with { Recipients = [.. entry.Recipients.Where((_, i) => i % 3 != 0)], Attempts = 2, LastReply = "451 " + new string('y', 16 * 1024) };

        var rewritten = RetryEntryCodec.Rewrite(message, updated, decoded.BlobRecipients);

        Assert.True(rewritten.ToMemory().Length <= RetryEntryCodec.MessageLimit, $"{rewritten.ToMemory().Length} octets");
        Assert.Equal(updated.Recipients, (await RetryEntryCodec.DecodeAsync(rewritten, _ => Task.FromResult(blob!))).Entry.Recipients);
    }

    [Fact]
    public void AReplyIsCutAtACharacterNotInsideASurrogatePair()
    {
        var reply = new string('a', RetryEntryCodec.StoredReplyLimit - 1) + "\U0001F600";
        var entry = RetryTierConformance.Entry("dest.test") with { LastReply = reply };

        var stored = RetryEntryCodec.Parse(RetryEntryCodec.Encode(entry).Message).LastReply!;

        Assert.Equal(RetryEntryCodec.StoredReplyLimit - 1, stored.Length);
    }

    [Fact]
    public async Task PuttingBackUnreadChangesOnlyTheReceiveCount()
    {
        var entry = RetryTierConformance.Entry("dest.test", recipients: 2);
        var (message, _) = RetryEntryCodec.Encode(entry);

        var back = (await RetryEntryCodec.DecodeAsync(RetryEntryCodec.WithReceives(message, 4), _ => throw new InvalidOperationException("inline"))).Entry;

        AssertSame(entry with { Receives = 4 }, back);
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

    [Fact]
    public async Task AMessagesEgressPoolTravelsWithItAndAnEntryWrittenBeforePoolsHasNone()
    {
        var entry = RetryTierConformance.Entry("dest.test");
        var pooled = entry with { Message = entry.Message with { Pool = "bulk" } };
        var (message, _) = RetryEntryCodec.Encode(pooled);
        var (unpooled, _) = RetryEntryCodec.Encode(entry);

        Assert.Equal("bulk", (await RetryEntryCodec.DecodeAsync(message, _ => throw new InvalidOperationException())).Entry.Message.Pool);
        // An entry without a pool carries no field for it: what builds before pools wrote reads the same.
        Assert.DoesNotContain("Pool", unpooled.ToString(), StringComparison.Ordinal);
        Assert.Null((await RetryEntryCodec.DecodeAsync(unpooled, _ => throw new InvalidOperationException())).Entry.Message.Pool);
    }

    private static void AssertSame(RetryEntry expected, RetryEntry actual)
    {
        Assert.Equal(expected with { Recipients = [], Content = default }, actual with { Recipients = [], Content = default });
        Assert.Equal(expected.Recipients, actual.Recipients);
        Assert.Equal(expected.Content.ToArray(), actual.Content.ToArray());
    }
}
