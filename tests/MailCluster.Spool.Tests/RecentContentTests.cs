using System.Buffers;
using System.Text;
using MailCluster.Smtp.Server;

namespace MailCluster.Spool.Tests;

public sealed class RecentContentTests
{
    [Fact]
    public void ContentIsTakenOnceWithTheSignatureFieldsBeforeTheMessage()
    {
        var recent = Reading();
        recent.Remember("Q1", new SpoolContent(Bytes("DKIM-Signature: x\r\n"), MessageContent.Of(Bytes("Subject: hi\r\n\r\nbody\r\n"))));

        var first = new ArrayBufferWriter<byte>();
        Assert.True(recent.TryTake("Q1", first));
        Assert.Equal("DKIM-Signature: x\r\nSubject: hi\r\n\r\nbody\r\n", Encoding.ASCII.GetString(first.WrittenSpan));
        // A later attempt reads the store.
        Assert.False(recent.TryTake("Q1", new ArrayBufferWriter<byte>()));
        Assert.False(recent.TryTake("never", new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void ContentOfAMessageThatWentIsForgotten()
    {
        var recent = Reading();
        recent.Remember("Q1", Content(10, 1));

        recent.Forget("Q1");
        recent.Forget("never");

        Assert.False(recent.TryTake("Q1", new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void TheOldestGoesWhenNewerContentNeedsItsRoom()
    {
        var recent = Reading();
        var size = RecentContent.MaxEntryBytes;
        var count = RecentContent.BudgetBytes / size;
        for (var i = 0; i <= count; i++)
        {
            recent.Remember($"Q{i}", Content(size, (byte)i));
        }

        Assert.False(recent.TryTake("Q0", new ArrayBufferWriter<byte>()));
        for (var i = 1; i <= count; i++)
        {
            var taken = new ArrayBufferWriter<byte>();
            Assert.True(recent.TryTake($"Q{i}", taken));
            Assert.Equal(size, taken.WrittenCount);
            Assert.All(taken.WrittenSpan.ToArray(), b => Assert.Equal((byte)i, b));
        }
    }

    [Fact]
    public void LargeContentIsNotKept()
    {
        var recent = Reading();
        recent.Remember("big", Content(RecentContent.MaxEntryBytes + 1, 1));

        Assert.False(recent.TryTake("big", new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void AnEntryNeverTakenGoesOnceEnoughKeysFollowIt()
    {
        var recent = Reading();
        recent.Remember("stuck", Content(10, 1));
        for (var i = 0; i < RecentContent.MaxKeys; i++)
        {
            recent.Remember($"Q{i}", Content(10, 2));
            Assert.True(recent.TryTake($"Q{i}", new ArrayBufferWriter<byte>()));
        }

        Assert.False(recent.TryTake("stuck", new ArrayBufferWriter<byte>()));
    }

    [Fact]
    public void NothingIsKeptBeforeAnythingReadsContent()
    {
        var recent = new RecentContent();
        recent.Remember("Q1", Content(10, 1));

        Assert.False(recent.TryTake("Q1", new ArrayBufferWriter<byte>()));
        recent.Remember("Q2", Content(10, 2));
        Assert.True(recent.TryTake("Q2", new ArrayBufferWriter<byte>()));
    }

    /// <summary>A cache some attempt has read from already, as in a silo that delivers.</summary>
    private static RecentContent Reading()
    {
        var recent = new RecentContent();
        Assert.False(recent.TryTake("none", new ArrayBufferWriter<byte>()));
        return recent;
    }

    private static SpoolContent Content(int length, byte fill) => new(new ReadOnlySequence<byte>(Enumerable.Repeat(fill, length).ToArray()));

    private static ReadOnlySequence<byte> Bytes(string text) => new(Encoding.ASCII.GetBytes(text));
}
