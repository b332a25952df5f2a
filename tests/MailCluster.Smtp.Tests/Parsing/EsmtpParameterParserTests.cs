using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Tests.Parsing;

public sealed class EsmtpParameterParserTests
{
    [Fact]
    public void MailParametersAreRead()
    {
        Assert.True(EsmtpParameterParser.TryParseMail(" SIZE=1024 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=abc+2Bdef", out var p, out _));
        Assert.Equal(new MailParameters(1024, BodyType.EightBitMime, true, DsnReturn.Headers, "abc+def"), p);
    }

    [Theory]
    [InlineData(" AUTH=<>")]
    [InlineData(" AUTH=alice+40client.test SIZE=10")]
    public void AnAuthParameterIsAcceptedAndNotActedOn(string text)
    {
        // RFC 4954 5: a client that submitted with AUTH may name the submitter, or <> for none.
        Assert.True(EsmtpParameterParser.TryParseMail(text, out _, out _));
    }

    [Theory]
    [InlineData(" AUTH=", 501)]
    [InlineData(" AUTH", 501)]
    [InlineData(" SIZE=", 501)]
    [InlineData(" SIZE=-1", 501)]
    [InlineData(" SIZE=123456789012345678901", 501)]
    [InlineData(" BODY=9BIT", 501)]
    [InlineData(" BODY=BINARYMIME", 504)]
    [InlineData(" SMTPUTF8=yes", 501)]
    [InlineData(" RET=ALL", 501)]
    [InlineData(" ENVID=a+0Ab", 501)]
    [InlineData(" ENVID=a+00b", 501)]
    [InlineData(" ENVID=a+zzb", 501)]
    [InlineData(" XFOO=1", 555)]
    [InlineData(" -BAD", 501)]
    [InlineData(" size=1 SIZE=2", 501)]
    public void BadMailParametersGetTheirReply(string text, int code)
    {
        Assert.False(EsmtpParameterParser.TryParseMail(text, out _, out var error));
        Assert.Equal(code, error.Code);
    }

    [Theory]
    [InlineData(" NOTIFY=NEVER", DsnNotify.Never)]
    [InlineData(" NOTIFY=SUCCESS,FAILURE,DELAY", DsnNotify.Success | DsnNotify.Failure | DsnNotify.Delay)]
    [InlineData("", DsnNotify.Unspecified)]
    public void NotifyIsRead(string text, DsnNotify expected)
    {
        Assert.True(EsmtpParameterParser.TryParseRcpt(text, out var p, out _));
        Assert.Equal(expected, p.Notify);
    }

    [Theory]
    [InlineData(" NOTIFY=NEVER,DELAY")]
    [InlineData(" NOTIFY=SUCCESS,SUCCESS")]
    [InlineData(" NOTIFY=")]
    [InlineData(" ORCPT=rfc822")]
    [InlineData(" ORCPT=rfc822;a+0Db@c")]
    public void BadRcptParametersAreRefused(string text)
    {
        Assert.False(EsmtpParameterParser.TryParseRcpt(text, out _, out var error));
        Assert.Equal(501, error.Code);
    }

    [Fact]
    public void OriginalRecipientIsDecodedFromXtext()
    {
        Assert.True(EsmtpParameterParser.TryParseRcpt(" ORCPT=rfc822;first+2Blast@b.test", out var p, out _));
        Assert.Equal("rfc822;first+last@b.test", p.OriginalRecipient);
    }
}
