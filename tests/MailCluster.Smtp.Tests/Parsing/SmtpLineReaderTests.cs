using System.Buffers;
using System.Text;
using MailCluster.Smtp.Parsing;
using MailCluster.Testing.IO;

namespace MailCluster.Smtp.Tests.Parsing;

public sealed class SmtpLineReaderTests
{
    private static ReadOnlySequence<byte> Sequence(string text) => new(Encoding.ASCII.GetBytes(text));

    [Fact]
    public void ReadsPipelinedLinesInOrder()
    {
        var buffer = Sequence("NOOP\r\nRSET\r\nQU");
        Assert.Equal(LineRead.Line, SmtpLineReader.TryReadLine(ref buffer, 512, out var first));
        Assert.Equal("NOOP", Encoding.ASCII.GetString(first.ToArray()));
        Assert.Equal(LineRead.Line, SmtpLineReader.TryReadLine(ref buffer, 512, out var second));
        Assert.Equal("RSET", Encoding.ASCII.GetString(second.ToArray()));
        Assert.Equal(LineRead.Incomplete, SmtpLineReader.TryReadLine(ref buffer, 512, out _));
        Assert.Equal(2, buffer.Length);
    }

    [Fact]
    public void LineOfExactlyTheLimitIsALine()
    {
        var buffer = Sequence(new string('x', 510) + "\r\n");
        Assert.Equal(LineRead.Line, SmtpLineReader.TryReadLine(ref buffer, 512, out var line));
        Assert.Equal(510, line.Length);
    }

    [Fact]
    public void LongerLineIsTooLongWithoutBufferingPastTheLimit()
    {
        var buffer = Sequence(new string('x', 511) + "\r\nNOOP\r\n");
        Assert.Equal(LineRead.TooLong, SmtpLineReader.TryReadLine(ref buffer, 512, out _));
        Assert.True(SmtpLineReader.SkipPastLineFeed(ref buffer));
        Assert.Equal(LineRead.Line, SmtpLineReader.TryReadLine(ref buffer, 512, out var next));
        Assert.Equal("NOOP", Encoding.ASCII.GetString(next.ToArray()));
    }

    [Fact]
    public void UnterminatedInputAtTheLimitIsTooLongNotIncomplete()
    {
        var buffer = Sequence(new string('x', 512));
        Assert.Equal(LineRead.TooLong, SmtpLineReader.TryReadLine(ref buffer, 512, out _));
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData("NOOP\n")]
    [InlineData("\n")]
    public void LineFeedWithoutCarriageReturnIsBare(string input)
    {
        var buffer = Sequence(input);
        Assert.Equal(LineRead.BareLineFeed, SmtpLineReader.TryReadLine(ref buffer, 512, out _));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void LineSplitAcrossSegmentsIsFound()
    {
        var text = "MAIL FROM:<a@b.test>\r\n";
        for (var split = 1; split < text.Length; split++)
        {
            var buffer = Segments.Of(Encoding.ASCII.GetBytes(text[..split]), Encoding.ASCII.GetBytes(text[split..]));
            Assert.Equal(LineRead.Line, SmtpLineReader.TryReadLine(ref buffer, 512, out var line));
            Assert.Equal(text[..^2], Encoding.ASCII.GetString(line.ToArray()));
        }
    }
}
