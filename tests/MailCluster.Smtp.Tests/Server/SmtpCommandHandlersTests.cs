using System.IO.Pipelines;
using System.Net;
using System.Security.Authentication;
using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;

namespace MailCluster.Smtp.Tests.Server;

public sealed class SmtpCommandHandlersTests : IDisposable
{
    private readonly RecordingSessionHost _host = new();
    private readonly SmtpSessionInfo _info = new(new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 25), "mx.test");
    private readonly SmtpServerLimits _limits = new() { MaxMessageSize = 1000 };
    private readonly MailTransactionHandlers _transactions;

    public SmtpCommandHandlersTests() => _transactions = new MailTransactionHandlers(_info, _host, _limits);

    public void Dispose() => _transactions.Dispose();

    private CommandOutcome Execute(string verb, string argument = "", bool tlsAvailable = false, SmtpSessionInfo? info = null) =>
        new SmtpCommandHandlers(info ?? _info, new TlsOffer(tlsAvailable), _limits, _transactions).Execute(new SmtpCommand(Enum.Parse<SmtpVerb>(verb), argument));

    [Fact]
    public void EhloAnnouncesTheExtensionsWithTheSizeLimitAndNoEnhancedCode()
    {
        var outcome = Execute("Ehlo", " client.test ");

        Assert.Equal(SmtpState.Ready, outcome.Next);
        Assert.Equal(
            "250 mx.test greets client.test\nPIPELINING\nSIZE 1000\n8BITMIME\nSMTPUTF8\nENHANCEDSTATUSCODES\nCHUNKING\nDSN",
            outcome.Reply.ToString());
        Assert.Equal(("client.test", true), (_info.HeloName, _info.IsExtended));
    }

    [Fact]
    public void HeloGreetsWithoutExtensions()
    {
        Assert.Equal(new CommandOutcome(new SmtpReply(250, null, "mx.test greets client.test"), SmtpState.Ready), Execute("Helo", "client.test"));
        Assert.False(_info.IsExtended);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("two words")]
    public void EhloNeedsOneDomainAndLeavesTheStateAlone(string argument)
    {
        Assert.Equal(new CommandOutcome(SmtpReplies.HeloNeedsDomain), Execute("Ehlo", argument));
        Assert.Null(_info.HeloName);
    }

    [Fact]
    public void StartTlsIsAnnouncedWhileTheConnectionCanStartIt()
    {
        Assert.EndsWith("\nSTARTTLS", Execute("Ehlo", "client.test", tlsAvailable: true).Reply.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AuthIsAnnouncedOnSubmissionOverTlsUntilTheUserAuthenticated()
    {
        var submission = new SmtpSessionInfo(_info.Remote, _info.Local, "mx.test") { IsSubmission = true };
        Assert.DoesNotContain("AUTH", Execute("Ehlo", "client.test", info: submission).Reply.ToString(), StringComparison.Ordinal);

        submission.TlsProtocol = SslProtocols.Tls13;
        Assert.EndsWith("\nAUTH PLAIN LOGIN", Execute("Ehlo", "client.test", info: submission).Reply.ToString(), StringComparison.Ordinal);

        submission.AuthenticatedUser = "alice";
        Assert.DoesNotContain("AUTH", Execute("Ehlo", "client.test", info: submission).Reply.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EhloInsideATransactionDropsIt()
    {
        _info.HeloName = "client.test";
        _transactions.Mail("FROM:<a@client.test>");

        Execute("Ehlo", "client.test");

        Assert.Null(_transactions.Current);
        Assert.Equal(1, Assert.Single(_host.Reservations).Disposals);
    }

    [Fact]
    public void RsetEndsTheTransaction()
    {
        _info.HeloName = "client.test";
        _transactions.Mail("FROM:<a@client.test>");

        Assert.Equal(new CommandOutcome(SmtpReplies.Ok, SmtpState.Ready), Execute("Rset"));
        Assert.Null(_transactions.Current);
    }

    [Fact]
    public void RsetBeforeEhloStaysBeforeEhlo()
    {
        Assert.Equal(new CommandOutcome(SmtpReplies.Ok, SmtpState.Initial), Execute("Rset"));
    }

    [Theory]
    [InlineData("Noop", "250 2.0.0 Ok")]
    [InlineData("Vrfy", "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery")]
    [InlineData("Expn", "502 5.5.1 Command not implemented")]
    [InlineData("Help", "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS")]
    public void TheHarmlessCommandsAnswerAndChangeNothing(string verb, string reply)
    {
        var outcome = Execute(verb, "anything");

        Assert.Equal(reply, outcome.Reply.ToString());
        Assert.Equal((null, SessionStep.Continue, false), (outcome.Next, outcome.Step, outcome.Closes));
    }

    [Fact]
    public void QuitSaysByeAndCloses()
    {
        Assert.Equal(new CommandOutcome(SmtpReplies.Closing, Closes: true), Execute("Quit"));
    }

    [Fact]
    public void StartTlsStartsTheSessionOver()
    {
        _info.HeloName = "client.test";
        _info.IsExtended = true;
        _transactions.Mail("FROM:<a@client.test>");

        Assert.Equal(new CommandOutcome(SmtpReplies.ReadyToStartTls, SmtpState.Initial, SessionStep.StartTls), Execute("StartTls", tlsAvailable: true));

        // RFC 3207 4.2: nothing learned before the handshake is kept.
        Assert.Equal((null, false), (_info.HeloName, _info.IsExtended));
        Assert.Null(_transactions.Current);
    }

    [Fact]
    public void StartTlsIsRefusedWithAnArgumentWithoutACertificateAndOverTls()
    {
        Assert.Equal(new CommandOutcome(SmtpReplies.SyntaxError), Execute("StartTls", "now", tlsAvailable: true));
        Assert.Equal(new CommandOutcome(SmtpReplies.TlsNotAvailable), Execute("StartTls"));
        _info.TlsProtocol = SslProtocols.Tls13;
        Assert.Equal(new CommandOutcome(SmtpReplies.AlreadySecure), Execute("StartTls"));
    }

    /// <summary>A connection that only says whether it can start TLS: the handlers never touch its pipes.</summary>
    private sealed class TlsOffer(bool available) : ISmtpConnection
    {
        public PipeReader Input => throw new NotSupportedException();

        public PipeWriter Output => throw new NotSupportedException();

        public bool IsTlsAvailable => available;

        public ValueTask<SslProtocols> UpgradeToTlsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
