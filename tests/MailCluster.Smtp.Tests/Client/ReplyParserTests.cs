using System.Buffers;
using System.Text;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;
using MailCluster.Testing.IO;

namespace MailCluster.Smtp.Tests.Client;

public sealed class ReplyParserTests
{
    private static readonly SmtpClientOptions s_options = new();

    private static SmtpReply Parse(string raw, SmtpClientOptions? options = null)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(raw));
        var parser = new ReplyParser(options ?? s_options);
        Assert.True(parser.TryParse(ref buffer, out var reply));
        Assert.True(buffer.IsEmpty);
        return reply;
    }

    private static SmtpProtocolException Refuse(string raw, SmtpClientOptions? options = null)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(raw));
        var parser = new ReplyParser(options ?? s_options);
        return Assert.Throws<SmtpProtocolException>(() => parser.TryParse(ref buffer, out _));
    }

    [Fact]
    public void SingleLineReplyWithEnhancedCode()
    {
        var reply = Parse("550 5.1.1 No such user\r\n");
        Assert.Equal(550, reply.Code);
        Assert.Equal(new EnhancedStatusCode(5, 1, 1), reply.Enhanced);
        Assert.Equal("No such user", reply.Text);
    }

    [Fact]
    public void MultilineReplyJoinsLinesAndStripsTheRepeatedEnhancedCode()
    {
        var reply = Parse("451-4.7.1 Greylisted\r\n451-4.7.1 see https://example\r\n451 4.7.1 try later\r\n");
        Assert.Equal(new EnhancedStatusCode(4, 7, 1), reply.Enhanced);
        Assert.Equal("Greylisted\nsee https://example\ntry later", reply.Text);
    }

    [Theory]
    [InlineData("250\r\n", "")]
    [InlineData("250 \r\n", "")]
    [InlineData("220 mx.test ESMTP\r\n", "mx.test ESMTP")]
    [InlineData("250 2.0.0\r\n", "")]
    [InlineData("250 mx.test\n", "mx.test")]
    public void LastLineMayHaveNoTextAndABareLineFeedIsTolerated(string raw, string text)
    {
        Assert.Equal(text, Parse(raw).Text);
    }

    [Theory]
    [InlineData("250 5.1.1 Class does not match the code\r\n")]
    [InlineData("250 2.1 Not a code\r\n")]
    [InlineData("354 2.0.0 Not for 3xx\r\n")]
    public void EnhancedCodeIsTakenOnlyWhenValidAndOfTheSameClass(string raw)
    {
        Assert.Null(Parse(raw).Enhanced);
    }

    [Fact]
    public void ReplySplitAtEveryPositionParsesTheSame()
    {
        const string raw = "250-mx.test greets you\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 2.0.0 8BITMIME\r\n";
        var expected = Parse(raw);
        var bytes = Encoding.UTF8.GetBytes(raw);
        for (var split = 0; split <= bytes.Length; split++)
        {
            var parser = new ReplyParser(s_options);
            var first = new ReadOnlySequence<byte>(bytes, 0, split);
            var done = parser.TryParse(ref first, out var reply);
            Assert.Equal(split == bytes.Length, done);
            if (!done)
            {
                // What the parser left unconsumed plus the rest: exactly what a pipe would hand it next.
                var rest = new ReadOnlySequence<byte>([.. first.ToArray(), .. bytes.AsSpan(split)]);
                Assert.True(parser.TryParse(ref rest, out reply));
            }
            Assert.Equal(expected, reply);
        }
    }

    [Fact]
    public void MultiSegmentBufferSplitAtEveryPositionParsesTheSame()
    {
        const string raw = "451-4.7.1 one\r\n451 4.7.1 two\r\n";
        var bytes = Encoding.UTF8.GetBytes(raw);
        for (var split = 1; split < bytes.Length; split++)
        {
            var buffer = Segments.Of(bytes[..split], bytes[split..]);
            Assert.True(new ReplyParser(s_options).TryParse(ref buffer, out var reply));
            Assert.Equal("one\ntwo", reply.Text);
        }
    }

    [Fact]
    public void OverlongLineIsAProtocolErrorWithoutWaitingForItsEnd()
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("250 " + new string('x', 600)));
        var parser = new ReplyParser(s_options);
        var e = Assert.Throws<SmtpProtocolException>(() => parser.TryParse(ref buffer, out _));
        Assert.Equal(SmtpProtocolFault.Violation, e.Fault);
    }

    [Fact]
    public void TooManyLinesIsAProtocolError()
    {
        var raw = string.Concat(Enumerable.Repeat("250-x\r\n", 100)) + "250 x\r\n";
        Refuse(raw);
        Assert.Equal(100, Parse(string.Concat(Enumerable.Repeat("250-x\r\n", 99)) + "250 x\r\n").Text.Split('\n').Length);
    }

    [Fact]
    public void TooManyOctetsIsAProtocolError()
    {
        var options = new SmtpClientOptions { MaxReplyBytes = 1024 };
        Refuse(string.Concat(Enumerable.Repeat("250-" + new string('x', 300) + "\r\n", 4)) + "250 x\r\n", options);
    }

    [Theory]
    [InlineData("250-first\r\n550 second\r\n")]
    [InlineData("25\r\n")]
    [InlineData("2x0 Ok\r\n")]
    [InlineData("650 Ok\r\n")]
    [InlineData("260 Ok\r\n")]
    [InlineData("250_Ok\r\n")]
    [InlineData("\r\n")]
    [InlineData("Ok 250\r\n")]
    public void MalformedRepliesAreProtocolErrors(string raw)
    {
        Assert.Equal(SmtpProtocolFault.Violation, Refuse(raw).Fault);
    }

    [Fact]
    public void IncompleteReplyConsumesOnlyWholeLines()
    {
        var buffer = new ReadOnlySequence<byte>("250-one\r\n250 tw"u8.ToArray());
        Assert.False(new ReplyParser(s_options).TryParse(ref buffer, out _));
        Assert.Equal("250 tw", Encoding.ASCII.GetString(buffer.ToArray()));
    }
}
