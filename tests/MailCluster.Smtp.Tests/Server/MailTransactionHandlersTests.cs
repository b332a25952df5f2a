using System.Buffers;
using System.Net;
using System.Text;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;

namespace MailCluster.Smtp.Tests.Server;

public sealed class MailTransactionHandlersTests : IDisposable
{
    private readonly RecordingSessionHost _host = new();
    private readonly SmtpSessionInfo _info = new(new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 25), "mx.test") { HeloName = "client.test" };
    private MailTransactionHandlers _handlers;

    public MailTransactionHandlersTests() => _handlers = Handlers(new SmtpServerLimits());

    public void Dispose() => _handlers.Dispose();

    private MailTransactionHandlers Handlers(SmtpServerLimits limits, SmtpSessionInfo? info = null) =>
        new(info ?? _info, _host, limits);

    /// <summary>MAIL and one RCPT accepted: the state where DATA or BDAT may start.</summary>
    private void Envelope()
    {
        Assert.Equal(SmtpState.Mail, _handlers.Mail("FROM:<a@client.test>").Next);
        Assert.Equal(SmtpState.Rcpt, _handlers.Rcpt("TO:<b@dest.test>").Next);
    }

    private CommandOutcome Read(string octets, SmtpState state, out string unread)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(octets));
        var outcome = _handlers.ReadContent(ref buffer, state);
        unread = Encoding.ASCII.GetString(buffer.ToArray());
        return outcome;
    }

    [Fact]
    public void MailStartsATransactionWithTheDeclaredSize()
    {
        Assert.Equal(new CommandOutcome(SmtpReplies.SenderOk, SmtpState.Mail), _handlers.Mail("FROM:<a@client.test> SIZE=100"));
        Assert.Equal(100, _handlers.Current!.Parameters.Size);
        Assert.Equal([100L], _host.DeclaredSizes);
    }

    [Theory]
    [InlineData("FROM:<a@client.test> SIZE=1001", 552)]
    [InlineData("FROM:a@client.test", 501)]
    [InlineData("FROM:<a@client.test> FOO=1", 555)]
    public void ARefusedMailStartsNothingAndAsksNoHost(string argument, int code)
    {
        _handlers = Handlers(new SmtpServerLimits { MaxMessageSize = 1000 });

        var outcome = _handlers.Mail(argument);

        Assert.Equal((code, (SmtpState?)null), (outcome.Reply!.Value.Code, outcome.Next));
        Assert.Null(_handlers.Current);
        Assert.Empty(_host.DeclaredSizes);
    }

    [Fact]
    public void SubmissionNeedsAuthenticationBeforeMail()
    {
        var submission = new SmtpSessionInfo(_info.Remote, _info.Local, "mx.test") { IsSubmission = true };
        using var handlers = Handlers(new SmtpServerLimits(), submission);

        Assert.Equal(new CommandOutcome(SmtpReplies.AuthRequired), handlers.Mail("FROM:<a@client.test>"));
        submission.AuthenticatedUser = "alice";
        Assert.Equal(SmtpState.Mail, handlers.Mail("FROM:<a@client.test>").Next);
    }

    [Fact]
    public void ASenderTheHostRefusesGetsItsReplyAndItsReservationBack()
    {
        _host.SenderRefusal = SmtpReplies.SpoolFull;

        Assert.Equal(new CommandOutcome(SmtpReplies.SpoolFull), _handlers.Mail("FROM:<a@client.test>"));
        Assert.Null(_handlers.Current);
        Assert.Equal(1, Assert.Single(_host.Reservations).Disposals);
    }

    [Fact]
    public void RecipientsPastTheLimitGet452AndTheAcceptedOnesStay()
    {
        _handlers = Handlers(new SmtpServerLimits { MaxRecipientsPerMessage = 100 });
        _handlers.Mail("FROM:<a@client.test>");
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(SmtpState.Rcpt, _handlers.Rcpt($"TO:<r{i}@dest.test>").Next);
        }

        Assert.Equal(new CommandOutcome(SmtpReplies.TooManyRecipients), _handlers.Rcpt("TO:<over@dest.test>"));
        Assert.Equal(100, _handlers.Current!.Recipients.Count);
    }

    [Fact]
    public void ANonAsciiRecipientNeedsSmtpUtf8OnTheTransactionsMail()
    {
        _handlers.Mail("FROM:<a@client.test>");
        Assert.Equal(new CommandOutcome(SmtpReplies.NonAsciiAddressWithoutSmtpUtf8), _handlers.Rcpt("TO:<ü@bücher.test>"));

        _handlers.Mail("FROM:<a@client.test> SMTPUTF8");
        Assert.Equal(SmtpState.Rcpt, _handlers.Rcpt("TO:<ü@bücher.test>").Next);
    }

    [Fact]
    public void ARecipientTheHostRefusesIsNotAdded()
    {
        using var handlers = Handlers(new SmtpServerLimits(), new SmtpSessionInfo(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 40000), _info.Local, "mx.test"));
        handlers.Mail("FROM:<a@client.test>");

        Assert.Equal(new CommandOutcome(SmtpReplies.RelayDenied), handlers.Rcpt("TO:<b@dest.test>"));
        Assert.Empty(handlers.Current!.Recipients);
    }

    [Fact]
    public async Task DataContentIsCommittedAfterTheTraceHeader()
    {
        Envelope();
        Assert.Equal(new CommandOutcome(SmtpReplies.StartMailInput), _handlers.Data(string.Empty));
        Assert.True(_handlers.ReceivingContent);

        Assert.Equal(CommandOutcome.NeedInput, Read("Subject: s\r\n\r\n..x\r\n", SmtpState.Rcpt, out _));
        Assert.Equal(SessionStep.Commit, Read(".\r\nQUIT\r\n", SmtpState.Rcpt, out var unread).Step);
        Assert.Equal("QUIT\r\n", unread);

        Assert.Equal(new CommandOutcome(SmtpReplies.Queued("Q1"), SmtpState.Ready), await _handlers.CommitAsync(CancellationToken.None));
        Assert.Equal("X-Trace: test\r\nSubject: s\r\n\r\n.x\r\n", Assert.Single(_host.Committed).Content);
        Assert.False(_handlers.ReceivingContent);
        Assert.Null(_handlers.Current);
    }

    [Fact]
    public void DataTakesNoArgument()
    {
        Envelope();
        Assert.Equal(new CommandOutcome(SmtpReplies.SyntaxError), _handlers.Data("NOW"));
        Assert.False(_handlers.ReceivingContent);
    }

    [Fact]
    public async Task DataWithABareLineFeedIsRefusedAtItsEndAndNotCommitted()
    {
        Envelope();
        _handlers.Data(string.Empty);
        Read("a\nb\r\n.\r\n", SmtpState.Rcpt, out _);

        Assert.Equal(new CommandOutcome(SmtpReplies.BareLineEndingInData, SmtpState.Ready), await _handlers.CommitAsync(CancellationToken.None));
        Assert.Empty(_host.Committed);
        Assert.Equal(SmtpReplies.BareLineEndingInData, Assert.Single(_host.Refused));
    }

    [Fact]
    public async Task BdatChunksAreCountedAndTheLastOneCommits()
    {
        Envelope();
        Assert.Equal(new CommandOutcome(null, SmtpState.Bdat), _handlers.Bdat("5", SmtpState.Rcpt));
        // The trace header (15 octets) is part of the message.
        Assert.Equal(SmtpReplies.Ok.WithText("20 octets received"), Read("hello", SmtpState.Bdat, out _).Reply);
        Assert.False(_handlers.ReceivingContent);

        Assert.Equal(new CommandOutcome(null, SmtpState.Bdat), _handlers.Bdat("8 LAST", SmtpState.Bdat));
        Assert.Equal(CommandOutcome.NeedInput, Read(" wor", SmtpState.Bdat, out _));
        Assert.Equal(SessionStep.Commit, Read("ld\r\nNOOP\r\n", SmtpState.Bdat, out var unread).Step);
        Assert.Equal("NOOP\r\n", unread);

        Assert.Equal(SmtpState.Ready, (await _handlers.CommitAsync(CancellationToken.None)).Next);
        Assert.Equal("X-Trace: test\r\nhello world\r\n", Assert.Single(_host.Committed).Content);
    }

    [Fact]
    public async Task AnEmptyLastChunkEndsTheMessage()
    {
        Envelope();
        _handlers.Bdat("3", SmtpState.Rcpt);
        Read("abc", SmtpState.Bdat, out _);
        _handlers.Bdat("0 LAST", SmtpState.Bdat);

        Assert.Equal(SessionStep.Commit, Read(string.Empty, SmtpState.Bdat, out _).Step);
        await _handlers.CommitAsync(CancellationToken.None);
        Assert.Equal("X-Trace: test\r\nabc", Assert.Single(_host.Committed).Content);
    }

    [Fact]
    public void AChunkOutOfSequenceIsReadAndRefusedAndChangesNothing()
    {
        _handlers.Mail("FROM:<a@client.test>");

        Assert.Equal(new CommandOutcome(null), _handlers.Bdat("4 LAST", SmtpState.Mail));
        Assert.Equal(new CommandOutcome(SmtpReplies.BadSequence), Read("RSETNOOP\r\n", SmtpState.Mail, out var unread));
        Assert.Equal("NOOP\r\n", unread);
        Assert.NotNull(_handlers.Current);
        Assert.Empty(_host.Refused);
    }

    [Fact]
    public void AChunkPastTheSizeLimitIsReadThenRefusedAndEndsTheMessage()
    {
        _handlers = Handlers(new SmtpServerLimits { MaxMessageSize = 64 * 1024 });
        Envelope();
        _handlers.Bdat("1000", SmtpState.Rcpt);
        Read(new string('a', 1000), SmtpState.Bdat, out _);

        Assert.Equal(SmtpState.Bdat, _handlers.Bdat("70000 LAST", SmtpState.Bdat).Next);
        Assert.Equal(CommandOutcome.NeedInput, Read(new string('z', 69_999), SmtpState.Bdat, out _));
        Assert.Equal(new CommandOutcome(SmtpReplies.MessageTooLarge, SmtpState.Ready), Read("z", SmtpState.Bdat, out _));
        Assert.Equal(SmtpReplies.MessageTooLarge, Assert.Single(_host.Refused));
        Assert.Null(_handlers.Current);
        Assert.Equal(1, Assert.Single(_host.Reservations).Disposals);
    }

    [Theory]
    [InlineData("")]
    [InlineData("LAST")]
    [InlineData("10 MORE")]
    [InlineData("1000000000000000000 LAST")]
    public void ABdatWithoutAReadableSizeIs501AndReadsNoChunk(string argument)
    {
        Envelope();

        Assert.Equal(new CommandOutcome(SmtpReplies.SyntaxError), _handlers.Bdat(argument, SmtpState.Rcpt));
        Assert.False(_handlers.ReceivingContent);
    }

    [Fact]
    public void EndReleasesTheReservationAndGoesBackToWhereEhloLeftTheSession()
    {
        _handlers.Mail("FROM:<a@client.test>");
        Assert.Equal(SmtpState.Ready, _handlers.End());
        Assert.Equal(1, Assert.Single(_host.Reservations).Disposals);

        using var beforeEhlo = Handlers(new SmtpServerLimits(), new SmtpSessionInfo(_info.Remote, _info.Local, "mx.test"));
        Assert.Equal(SmtpState.Initial, beforeEhlo.End());
    }
}
