using System.Text;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Tests.Client;

public sealed class SmtpClientTransactionTests
{
    private const string Message = "Subject: hi\r\n\r\nHello\r\n";

    [Fact]
    public async Task PipelinedEnvelopeGoesInOneWriteWithPerRecipientResults()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "PIPELINING", "SIZE 100000")
            .OnMail(250).OnRcpt(250).OnRcpt(450, "4.2.1 Mailbox busy").OnRcpt(550, "5.1.1 No such user").OnData(354).OnDot(250));
        await h.OpenAsync();
        var result = await h.SendAsync(ClientHarness.Envelope("a@dest.test", "b@dest.test", "c@dest.test"), Message);

        Assert.Equal(["MAIL FROM:<sender@origin.test> SIZE=22", "RCPT TO:<a@dest.test>", "RCPT TO:<b@dest.test>", "RCPT TO:<c@dest.test>", "DATA"], h.Peer.Batches[1]);
        Assert.Equal([250, 450, 550], result.Recipients.Select(r => r.Reply!.Value.Code));
        Assert.Equal(new EnhancedStatusCode(5, 1, 1), result.Recipients[2].Reply!.Value.Enhanced);
        Assert.True(result.ContentSent);
        Assert.False(result.IsOutcomeUnknown);
        Assert.True(h.Connection.IsUsable);
    }

    [Fact]
    public async Task WithoutPipeliningEachCommandWaitsForItsReply()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "8BITMIME").OnMail(250).OnRcpt(250).OnRcpt(250).OnData(354).OnDot(250));
        await h.OpenAsync();
        await h.SendAsync(ClientHarness.Envelope("a@dest.test", "b@dest.test"), Message);
        Assert.All(h.Peer.Batches, batch => Assert.Single(batch));
        Assert.Equal(["EHLO egress.test", "MAIL FROM:<sender@origin.test>", "RCPT TO:<a@dest.test>", "RCPT TO:<b@dest.test>", "DATA"], h.Peer.Commands);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NoAcceptedRecipientSendsNoContentAndResets(bool pipelining)
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, pipelining ? ["PIPELINING"] : [])
            .OnMail(250).OnRcpt(550, "5.1.1 No such user").OnRcpt(451, "4.3.0 Try later").OnData(554, "5.5.1 No valid recipients"));
        await h.OpenAsync();
        var result = await h.SendAsync(ClientHarness.Envelope("a@dest.test", "b@dest.test"), Message);
        Assert.Equal([550, 451], result.Recipients.Select(r => r.Reply!.Value.Code));
        Assert.False(result.ContentSent);
        Assert.Empty(h.Peer.Messages);
        Assert.Equal("RSET", h.Peer.Commands[^1]);
        Assert.Equal(pipelining, h.Peer.Commands.Contains("DATA"));
    }

    [Fact]
    public async Task RefusedSenderGivesEveryRecipientTheMailReplyAndSendsNothingMore()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250).OnMail(553, "5.7.1 Sender rejected"));
        await h.OpenAsync();
        var result = await h.SendAsync(ClientHarness.Envelope("a@dest.test", "b@dest.test"), Message);
        Assert.All(result.Recipients, r => Assert.Equal(553, r.Reply!.Value.Code));
        Assert.Equal("MAIL FROM:<sender@origin.test>", h.Peer.Commands[^1]);
    }

    [Fact]
    public async Task DataAcceptedWithoutRecipientsIsEndedWithALoneDot()
    {
        // RFC 2920 3.1: a server may answer 354 to a pipelined DATA although every RCPT failed.
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "PIPELINING").OnMail(250).OnRcpt(550).OnData(354).OnDot(554, "5.5.1 No recipients"));
        await h.OpenAsync();
        var result = await h.SendAsync(ClientHarness.Envelope("a@dest.test"), Message);
        Assert.Equal(550, result.Recipients[0].Reply!.Value.Code);
        Assert.Equal([], h.Peer.Messages.Single());
    }

    [Fact]
    public async Task RefusedDataGivesAcceptedRecipientsTheDataReply()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250).OnMail(250).OnRcpt(250).OnRcpt(550).OnData(451, "4.3.0 Queue full"));
        await h.OpenAsync();
        var result = await h.SendAsync(ClientHarness.Envelope("a@dest.test", "b@dest.test"), Message);
        Assert.Equal([451, 550], result.Recipients.Select(r => r.Reply!.Value.Code));
        Assert.Empty(h.Peer.Messages);
    }

    [Fact]
    public async Task ContentIsDotStuffedAndBareLineEndingsBecomeCrlf()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250).OnMail(250).OnRcpt(250).OnData(354).OnDot(250));
        await h.OpenAsync();
        // A bare LF, a bare CR, "\n.\r\n" and "\r.\r\n" are the SMTP smuggling shapes; none may reach the wire as is.
        await h.SendAsync(ClientHarness.Envelope("a@dest.test"), ".leading\r\nx\n.\r\nMAIL FROM:<evil>\ry\r.\r\n..two\r\nlast");
        var wire = Encoding.ASCII.GetString(h.Peer.Messages.Single());
        Assert.Equal("..leading\r\nx\r\n..\r\nMAIL FROM:<evil>\r\ny\r\n..\r\n...two\r\nlast\r\n", wire);
        Assert.Equal(["DATA"], h.Peer.Commands.Skip(3));
    }

    [Fact]
    public async Task ChunkingSendsOneBdatWithTheExactNormalisedLength()
    {
        await using var h = new ClientHarness(
            p => p.Greet(220).OnEhlo(250, "PIPELINING", "CHUNKING", "SIZE").OnMail(250).OnRcpt(250).OnDot(250),
            new SmtpClientOptions { UseChunking = true });
        await h.OpenAsync();
        var result = await h.SendAsync(ClientHarness.Envelope("a@dest.test"), ".x\ny");
        Assert.Equal("BDAT 7 LAST", h.Peer.Commands[^1]);
        Assert.Equal(".x\r\ny\r\n", Encoding.ASCII.GetString(h.Peer.Messages.Single()));
        Assert.Equal(250, result.Recipients[0].Reply!.Value.Code);
        Assert.Equal("MAIL FROM:<sender@origin.test> SIZE=7", h.Peer.Commands[1]);
    }

    [Fact]
    public async Task EightBitContentToAPeerWithout8BitMimeFailsWith563AndSendsNothing()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "PIPELINING"));
        await h.OpenAsync();
        var result = await h.SendAsync(ClientHarness.Envelope("a@dest.test", "b@dest.test"), "Subject: caf\u00e9\r\n\r\n");
        Assert.All(result.Recipients, r => Assert.Equal(SmtpReplies.EightBitMimeNotSupported, r.Reply));
        Assert.Equal(new EnhancedStatusCode(5, 6, 3), result.Recipients[0].Reply!.Value.Enhanced);
        Assert.Equal(["EHLO egress.test"], h.Peer.Commands);
    }

    [Fact]
    public async Task EightBitContentToAn8BitMimePeerDeclaresBody()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "8BITMIME").OnMail(250).OnRcpt(250).OnData(354).OnDot(250));
        await h.OpenAsync();
        await h.SendAsync(ClientHarness.Envelope("a@dest.test"), "Subject: caf\u00e9\r\n\r\n");
        Assert.Equal("MAIL FROM:<sender@origin.test> BODY=8BITMIME", h.Peer.Commands[1]);
    }

    [Fact]
    public async Task InternationalAddressToAPeerWithoutSmtpUtf8FailsWith567()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "8BITMIME"));
        await h.OpenAsync();
        var result = await h.SendAsync(ClientHarness.Envelope("j\u00f6rg@dest.test"), Message);
        Assert.Equal(new EnhancedStatusCode(5, 6, 7), result.Recipients[0].Reply!.Value.Enhanced);
        Assert.Single(h.Peer.Commands);
    }

    [Fact]
    public async Task InternationalAddressToASmtpUtf8PeerIsDeclared()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "8BITMIME", "SMTPUTF8").OnMail(250).OnRcpt(250).OnData(354).OnDot(250));
        await h.OpenAsync();
        await h.SendAsync(ClientHarness.Envelope("j\u00f6rg@dest.test"), Message);
        Assert.Equal("MAIL FROM:<sender@origin.test> SMTPUTF8", h.Peer.Commands[1]);
        Assert.Equal("RCPT TO:<j\u00f6rg@dest.test>", h.Peer.Commands[2]);
    }

    [Fact]
    public async Task MessageOverThePeersSizeFailsWith534AndSendsNothing()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "SIZE 10"));
        await h.OpenAsync();
        var result = await h.SendAsync(ClientHarness.Envelope("a@dest.test"), Message);
        Assert.Equal(552, result.Recipients[0].Reply!.Value.Code);
        Assert.Equal(new EnhancedStatusCode(5, 3, 4), result.Recipients[0].Reply!.Value.Enhanced);
        Assert.Single(h.Peer.Commands);
    }

    [Fact]
    public async Task DsnParametersGoOnlyToADsnPeer()
    {
        var parameters = MailParameters.None with { Return = DsnReturn.Headers, EnvelopeId = "id+1=x" };
        var envelope = ClientHarness.Envelope(parameters, "a@dest.test") is var e
            ? e with { Recipients = [new Recipient(ClientHarness.Mailbox("a@dest.test"), new RcptParameters(DsnNotify.Failure | DsnNotify.Delay, "rfc822;a@orig.test"))] }
            : null!;
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "DSN").OnMail(250).OnRcpt(250).OnData(354).OnDot(250));
        await h.OpenAsync();
        await h.Connection.SendAsync(envelope, ClientHarness.Content(Message), h.Token);
        Assert.Equal("MAIL FROM:<sender@origin.test> RET=HDRS ENVID=id+2B1+3Dx", h.Peer.Commands[1]);
        Assert.Equal("RCPT TO:<a@dest.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@orig.test", h.Peer.Commands[2]);
    }

    [Fact]
    public async Task ConnectionLostAfterTheDotIsAnUnknownOutcome()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "PIPELINING").OnMail(250).OnRcpt(250).OnRcpt(550).OnData(354).CloseAfterDot());
        await h.OpenAsync();
        var result = await h.SendAsync(ClientHarness.Envelope("a@dest.test", "b@dest.test"), Message);
        Assert.True(result.IsOutcomeUnknown);
        Assert.Equal(SmtpProtocolFault.ConnectionClosed, result.UnknownOutcomeCause!.Fault);
        Assert.True(result.Recipients[0].IsOutcomeUnknown);
        Assert.Equal(550, result.Recipients[1].Reply!.Value.Code);
        Assert.False(h.Connection.IsUsable);
    }

    [Fact]
    public async Task NoReplyAfterTheDotWithinDataTerminationIsAnUnknownOutcome()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250).OnMail(250).OnRcpt(250).OnData(354).SilentAfterDot());
        await h.OpenAsync();
        var send = h.SendAsync(ClientHarness.Envelope("a@dest.test"), Message);
        await h.Peer.MessageReceived.WaitAsync(h.Token);
        var waited = TimeSpan.Zero;
        while (!send.IsCompleted)
        {
            h.Time.Advance(TimeSpan.FromMinutes(1));
            waited += TimeSpan.FromMinutes(1);
            await Task.Yield();
        }
        var result = await send;
        Assert.Equal(SmtpProtocolFault.Timeout, result.UnknownOutcomeCause!.Fault);
        Assert.True(result.Recipients[0].IsOutcomeUnknown);
        // At least the 10-minute DATA termination deadline (RFC 5321 4.5.3.2.6); more when the
        // client armed its timer after the first clock steps (a busy machine), never less.
        Assert.True(waited >= TimeSpan.FromMinutes(10), $"gave up after {waited}");
    }
}
