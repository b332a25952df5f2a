using System.Buffers;
using System.Text;
using MailCluster.Smtp.Parsing;

namespace MailCluster.Smtp.Tests.Parsing;

public sealed class DataReaderTests
{
    private static (bool Done, DataDefects Defects, string Body, int Remaining) ReadSplit(string input, int split, int maxLine = 1000, long maxSize = 1 << 20)
    {
        var reader = new DataReader(maxLine, maxSize);
        reader.Reset(0);
        var body = new ArrayBufferWriter<byte>();
        var bytes = Encoding.Latin1.GetBytes(input);
        var first = new ReadOnlySequence<byte>(bytes, 0, split);
        var done = reader.Read(ref first, body);
        var rest = first.Length + bytes.Length - split;
        if (!done)
        {
            var second = new ReadOnlySequence<byte>(bytes, split, bytes.Length - split);
            done = reader.Read(ref second, body);
            rest = second.Length;
        }
        return (done, reader.Defects, Encoding.Latin1.GetString(body.WrittenSpan), (int)rest);
    }

    public static TheoryData<string, string, int> CleanMessages() => new()
    {
        { "a\r\nb\r\n.\r\n", "a\r\nb\r\n", 0 },
        { ".\r\n", string.Empty, 0 },
        { "..x\r\n.\r\nQUIT\r\n", ".x\r\n", 6 },
        { "x.\r\n.y\r\n.\r\n", "x.\r\ny\r\n", 0 },
        { "\r\n\r\n.\r\n", "\r\n\r\n", 0 },
    };

    [Theory]
    [MemberData(nameof(CleanMessages))]
    public void CleanMessageEndsAtDotLineWhereverTheInputIsSplit(string input, string expected, int rest)
    {
        for (var split = 0; split <= input.Length; split++)
        {
            var result = ReadSplit(input, split);
            Assert.True(result.Done, $"split {split}");
            Assert.Equal(DataDefects.None, result.Defects);
            Assert.Equal(expected, result.Body);
            Assert.Equal(rest, result.Remaining);
        }
    }

    // CVE-2023-51764 and relatives: none of these ends the message, wherever it is split.
    [Theory]
    [InlineData("x\n.\nMAIL FROM:<a@b>\r\n")]
    [InlineData("x\r.\nMAIL FROM:<a@b>\r\n")]
    [InlineData("x\n.\r\nMAIL FROM:<a@b>\r\n")]
    [InlineData("x\r\n.\nMAIL FROM:<a@b>\r\n")]
    [InlineData("x\r\n.\rMAIL FROM:<a@b>\r\n")]
    [InlineData("x\r.\rMAIL FROM:<a@b>\r\n")]
    public void BareLineEndingBeforeDotNeverEndsMessage(string input)
    {
        for (var split = 0; split <= input.Length; split++)
        {
            var result = ReadSplit(input, split);
            Assert.False(result.Done, $"split {split}");
            Assert.True(result.Defects.HasFlag(DataDefects.BareLineEnding), $"split {split}");
            Assert.DoesNotContain("MAIL", result.Body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DefectiveMessageStillEndsAtTheRealTerminator()
    {
        var result = ReadSplit("a\nb\r\n.\r\nNOOP\r\n", 3);
        Assert.True(result.Done);
        Assert.Equal(DataDefects.BareLineEnding, result.Defects);
        Assert.Equal(6, result.Remaining);
    }

    [Fact]
    public void NulIsADefect()
    {
        Assert.Equal(DataDefects.Nul, ReadSplit("a\0b\r\n.\r\n", 2).Defects);
    }

    [Theory]
    [InlineData(998, false)]
    [InlineData(999, true)]
    public void LineLengthCountsCrLfAgainstTheLimit(int textLength, bool tooLong)
    {
        var input = new string('x', textLength) + "\r\n.\r\n";
        Assert.Equal(tooLong ? DataDefects.LineTooLong : DataDefects.None, ReadSplit(input, textLength / 2).Defects);
    }

    [Fact]
    public void SizeOverTheCapIsADefectAndNothingMoreIsStored()
    {
        var result = ReadSplit("0123456789\r\n0123456789\r\n.\r\n", 5, maxSize: 16);
        Assert.True(result.Done);
        Assert.Equal(DataDefects.TooLarge, result.Defects);
        Assert.True(result.Body.Length <= 16);
    }
}
