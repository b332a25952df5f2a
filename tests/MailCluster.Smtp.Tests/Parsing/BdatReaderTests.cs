using System.Buffers;
using System.Text;
using MailCluster.Smtp.Parsing;

namespace MailCluster.Smtp.Tests.Parsing;

public sealed class BdatReaderTests
{
    [Theory]
    [InlineData("0", 0, false)]
    [InlineData("0 LAST", 0, true)]
    [InlineData("42 last", 42, true)]
    [InlineData("  7   LAST ", 7, true)]
    [InlineData("999999999999999999", 999_999_999_999_999_999, false)]
    public void ChunkSizeAndLastAreRead(string argument, long size, bool last)
    {
        Assert.True(BdatReader.TryParse(argument, out var parsedSize, out var parsedLast));
        Assert.Equal((size, last), (parsedSize, parsedLast));
    }

    [Theory]
    [InlineData("")]
    [InlineData("LAST")]
    [InlineData("-1")]
    [InlineData("+5")]
    [InlineData("1e3")]
    [InlineData("5 MORE")]
    [InlineData("5 LAST LAST")]
    // 19 digits could overflow a long: refused before it is parsed.
    [InlineData("1000000000000000000")]
    [InlineData("５")]
    public void AnythingElseIsASyntaxError(string argument)
    {
        Assert.False(BdatReader.TryParse(argument, out _, out _));
    }

    [Fact]
    public void AChunkIsExactlyItsSizeWhereverTheInputIsSplitAndWhatFollowsIsLeft()
    {
        var input = Encoding.ASCII.GetBytes("line one\r\n.\r\nnot an end\r\nRSET\r\n");
        const int size = 25;
        for (var split = 0; split <= input.Length; split++)
        {
            var reader = new BdatReader();
            reader.Start(size, last: false);
            var body = new ArrayBufferWriter<byte>();

            var remaining = new ReadOnlySequence<byte>(input, 0, split);
            var done = reader.Read(ref remaining, body);
            var unread = Encoding.ASCII.GetString(input, split, input.Length - split);
            if (!done)
            {
                remaining = new ReadOnlySequence<byte>(input, split, input.Length - split);
                done = reader.Read(ref remaining, body);
                unread = string.Empty;
            }

            Assert.True(done, $"split at {split}");
            // No dot-unstuffing and no end marker: the dot line is content (RFC 3030 2).
            Assert.Equal("line one\r\n.\r\nnot an end\r\n", Encoding.ASCII.GetString(body.WrittenSpan));
            Assert.Equal("RSET\r\n", Encoding.ASCII.GetString(remaining.ToArray()) + unread);
        }
    }

    [Fact]
    public void AnEmptyChunkIsCompleteAtOnce()
    {
        var reader = new BdatReader();
        reader.Start(0, last: true);
        var buffer = new ReadOnlySequence<byte>("QUIT\r\n"u8.ToArray());

        Assert.True(reader.Read(ref buffer, new ArrayBufferWriter<byte>()));
        Assert.True(reader.IsLast);
        Assert.Equal(6, buffer.Length);
    }

    [Fact]
    public void AChunkWithoutABodyIsReadAndDropped()
    {
        var reader = new BdatReader();
        reader.Start(10, last: false);
        var buffer = new ReadOnlySequence<byte>("0123456"u8.ToArray());

        Assert.False(reader.Read(ref buffer, body: null));
        Assert.True(buffer.IsEmpty);
        buffer = new ReadOnlySequence<byte>("789NOOP\r\n"u8.ToArray());
        Assert.True(reader.Read(ref buffer, body: null));
        Assert.Equal("NOOP\r\n", Encoding.ASCII.GetString(buffer.ToArray()));
    }
}
