using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Tests.Parsing;

public sealed class EnvelopeCommandParserTests
{
    [Theory]
    [InlineData("FROM:<a@client.test>", "a@client.test")]
    [InlineData("from:<a@client.test>", "a@client.test")]
    // Tolerated though RFC 5321 4.1.2 has no space after the colon.
    [InlineData("FROM:   <a@client.test>", "a@client.test")]
    // RFC 5321 4.5.5: the null reverse-path of a bounce.
    [InlineData("FROM:<>", null)]
    public void TheSendersPathIsRead(string argument, string? sender)
    {
        Assert.True(EnvelopeCommandParser.TryParseMail(argument, out var mailbox, out var parameters, out _));
        Assert.Equal(sender, mailbox?.ToString());
        Assert.Equal(MailParameters.None, parameters);
    }

    [Fact]
    public void MailParametersFollowThePathAfterASpace()
    {
        Assert.True(EnvelopeCommandParser.TryParseMail("FROM:<a@client.test> SIZE=5000 BODY=8BITMIME RET=HDRS ENVID=e1", out _, out var parameters, out _));
        Assert.Equal(new MailParameters(5000, BodyType.EightBitMime, false, DsnReturn.Headers, "e1"), parameters);
    }

    /// <summary>The reply a MAIL or RCPT argument is refused with, or null when it parses.</summary>
    private static string? Refusal(string verb, string argument)
    {
        var parsed = verb == "MAIL"
            ? EnvelopeCommandParser.TryParseMail(argument, out _, out _, out var error)
            : EnvelopeCommandParser.TryParseRcpt(argument, out _, out _, out error);
        return parsed ? null : error.ToString();
    }

    [Theory]
    [InlineData("MAIL", "<a@client.test>", "501 5.1.7 Bad sender address syntax")]
    [InlineData("MAIL", "TO:<a@client.test>", "501 5.1.7 Bad sender address syntax")]
    [InlineData("MAIL", "FROM:a@client.test", "501 5.1.7 Bad sender address syntax")]
    [InlineData("MAIL", "FROM:<a@client.test", "501 5.1.7 Bad sender address syntax")]
    [InlineData("MAIL", "FROM:<no-domain>", "501 5.1.7 Bad sender address syntax")]
    [InlineData("MAIL", "FROM:<a@client.test>SIZE=1", "501 5.1.7 Bad sender address syntax")]
    [InlineData("MAIL", "FROM:<a@client.test> SIZE=x", "501 5.5.4 Syntax error in parameters or arguments")]
    [InlineData("MAIL", "FROM:<a@client.test> BODY=BINARYMIME", "504 5.5.4 Command parameter not implemented")]
    [InlineData("MAIL", "FROM:<a@client.test> XFOO=1", "555 5.5.4 MAIL FROM/RCPT TO parameter not recognized or not implemented")]
    // RFC 6531 3.4: a non-ASCII address needs SMTPUTF8 on the same command.
    [InlineData("MAIL", "FROM:<ü@client.test>", "553 5.6.7 Non-ASCII address requires the SMTPUTF8 parameter (RFC 6531 3.4)")]
    // A recipient is never the null path.
    [InlineData("RCPT", "TO:<>", "501 5.1.3 Bad recipient address syntax")]
    [InlineData("RCPT", "FROM:<b@dest.test>", "501 5.1.3 Bad recipient address syntax")]
    [InlineData("RCPT", "TO:<b@dest.test>NOTIFY=NEVER", "501 5.1.3 Bad recipient address syntax")]
    [InlineData("RCPT", "TO:<b@dest.test> NOTIFY=NEVER,DELAY", "501 5.5.4 Syntax error in parameters or arguments")]
    [InlineData("RCPT", "TO:<b@dest.test> SIZE=10", "555 5.5.4 MAIL FROM/RCPT TO parameter not recognized or not implemented")]
    public void ABadArgumentGetsItsReply(string verb, string argument, string reply)
    {
        Assert.Equal(reply, Refusal(verb, argument));
    }

    [Fact]
    public void ANonAsciiSenderWithSmtpUtf8IsRead()
    {
        Assert.True(EnvelopeCommandParser.TryParseMail("FROM:<ü@bücher.test> SMTPUTF8", out var mailbox, out var parameters, out _));
        Assert.True(mailbox!.IsInternational);
        Assert.True(parameters.SmtpUtf8);
    }

    [Fact]
    public void TheRecipientAndItsDsnParametersAreRead()
    {
        Assert.True(EnvelopeCommandParser.TryParseRcpt("TO: <b@dest.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;b@dest.test", out var recipient, out var parameters, out _));
        Assert.Equal(new Mailbox("b", "dest.test"), recipient);
        Assert.Equal(DsnNotify.Failure | DsnNotify.Delay, parameters.Notify);
        Assert.Equal("rfc822;b@dest.test", parameters.OriginalRecipient);
    }
}
