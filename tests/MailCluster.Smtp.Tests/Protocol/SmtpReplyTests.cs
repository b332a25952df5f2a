using System.Buffers;
using System.Text;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Tests.Protocol;

public sealed class SmtpReplyTests
{
    private static string Format(SmtpReply reply)
    {
        var output = new ArrayBufferWriter<byte>();
        reply.WriteTo(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Fact]
    public void SingleLineCarriesTheEnhancedCode() =>
        Assert.Equal("550 5.1.1 No such user\r\n", Format(new SmtpReply(550, new EnhancedStatusCode(5, 1, 1), "No such user")));

    [Fact]
    public void MultilineRepliesUseHyphensAndRepeatTheEnhancedCode() =>
        Assert.Equal("452-4.3.1 a\r\n452 4.3.1 b\r\n", Format(new SmtpReply(452, new EnhancedStatusCode(4, 3, 1), "a\nb")));

    [Fact]
    public void ReplyWithoutEnhancedCode() => Assert.Equal("354 go\r\n", Format(new SmtpReply(354, null, "go")));

    [Theory]
    [InlineData(421, true, false)]
    [InlineData(451, true, false)]
    [InlineData(550, false, true)]
    [InlineData(250, false, false)]
    public void ClassesFollowTheFirstDigit(int code, bool transient, bool permanent)
    {
        var reply = new SmtpReply(code, null, "x");
        Assert.Equal(transient, reply.IsTransient);
        Assert.Equal(permanent, reply.IsPermanent);
    }

    [Theory]
    [InlineData("5.7.1", true)]
    [InlineData("4.4.2", true)]
    [InlineData("2.0.0", true)]
    [InlineData("5.123.456", true)]
    [InlineData("3.0.0", false)]
    [InlineData("5.1", false)]
    [InlineData("5.1.1.1", false)]
    [InlineData("5.1234.1", false)]
    [InlineData("5.a.1", false)]
    public void EnhancedCodesParsePerRfc3463(string text, bool valid)
    {
        Assert.Equal(valid, EnhancedStatusCode.TryParse(text, out var code));
        if (valid)
        {
            Assert.Equal(text, code.ToString());
        }
    }
}
