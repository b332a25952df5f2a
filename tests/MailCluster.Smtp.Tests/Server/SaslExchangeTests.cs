using System.Net;
using System.Security.Authentication;
using System.Text;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;

namespace MailCluster.Smtp.Tests.Server;

public sealed class SaslExchangeTests
{
    private readonly RecordingSessionHost _host = new();
    private readonly SmtpSessionInfo _info;
    private readonly SaslExchange _sasl;
    private int _authenticated;

    public SaslExchangeTests()
    {
        _info = Session(submission: true);
        _info.TlsProtocol = SslProtocols.Tls13;
        _sasl = new SaslExchange(_info, _host);
    }

    private SmtpSessionInfo Session(bool submission) =>
        new(new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 587), "mx.test") { IsSubmission = submission, Authenticated = () => _authenticated++ };

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task PlainWithAnInitialResponseGoesStraightToTheHost()
    {
        var outcome = _sasl.Begin("PLAIN " + Base64("\0alice\0s3cret"), SmtpState.Ready);

        Assert.Equal(new CommandOutcome(null, Step: SessionStep.Authenticate), outcome);
        Assert.False(_sasl.AwaitsResponse);
        var verdict = await _sasl.AuthenticateAsync(CancellationToken.None);
        Assert.Equal(new CommandOutcome(SmtpReplies.AuthSucceeded), verdict);
        Assert.Equal([("alice", "s3cret")], _host.Credentials);
        Assert.Equal("alice", _info.AuthenticatedUser);
        Assert.Equal(1, _authenticated);
    }

    [Fact]
    public void PlainWithoutAnInitialResponsePromptsWithAnEmpty334()
    {
        Assert.Equal("334 ", _sasl.Begin("plain", SmtpState.Ready).Reply.ToString());
        Assert.True(_sasl.AwaitsResponse);

        Assert.Equal(SessionStep.Authenticate, _sasl.Answer(Base64("alice\0alice\0s3cret")).Step);
        Assert.False(_sasl.AwaitsResponse);
    }

    [Fact]
    public async Task LoginAsksForTheNameThenThePassword()
    {
        Assert.Equal("334 VXNlcm5hbWU6", _sasl.Begin("LOGIN", SmtpState.Ready).Reply.ToString());
        Assert.Equal("334 UGFzc3dvcmQ6", _sasl.Answer(Base64("alice")).Reply.ToString());
        Assert.Equal(SessionStep.Authenticate, _sasl.Answer(Base64("wrong")).Step);

        Assert.Equal(new CommandOutcome(SmtpReplies.AuthFailed), await _sasl.AuthenticateAsync(CancellationToken.None));
        Assert.Null(_info.AuthenticatedUser);
        Assert.Equal(0, _authenticated);
    }

    [Fact]
    public void LoginWithTheNameInTheCommandAsksOnlyForThePassword()
    {
        Assert.Equal("334 UGFzc3dvcmQ6", _sasl.Begin("LOGIN " + Base64("alice"), SmtpState.Ready).Reply.ToString());
        Assert.True(_sasl.AwaitsResponse);
    }

    [Theory]
    [InlineData("PLAIN")]
    [InlineData("LOGIN")]
    public void AStarCancelsAtAnyPrompt(string mechanism)
    {
        _sasl.Begin(mechanism, SmtpState.Ready);

        // RFC 4954 4: "*" cancels; the exchange is over and the next line is a command again.
        Assert.Equal(new CommandOutcome(SmtpReplies.AuthCanceled), _sasl.Answer("*"));
        Assert.False(_sasl.AwaitsResponse);
        Assert.Empty(_host.Credentials);
    }

    [Fact]
    public void AStarForThePasswordCancelsToo()
    {
        _sasl.Begin("LOGIN " + Base64("alice"), SmtpState.Ready);
        Assert.Equal(new CommandOutcome(SmtpReplies.AuthCanceled), _sasl.Answer("*"));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("=")]
    [InlineData("YWxpY2U")]
    // Base64 of 0xFF 0xFE: valid base64, not UTF-8.
    [InlineData("//4=")]
    public void AnAnswerThatIsNotBase64OfUtf8Is501(string response)
    {
        _sasl.Begin("LOGIN", SmtpState.Ready);
        var outcome = _sasl.Answer(response);

        Assert.Equal(new CommandOutcome(SmtpReplies.AuthBadEncoding), outcome);
        Assert.False(_sasl.AwaitsResponse);
    }

    [Theory]
    [InlineData("alice\0s3cret")]
    [InlineData("\0alice\0s3cret\0")]
    // RFC 4616 2: acting for another identity (authzid) is not offered.
    [InlineData("bob\0alice\0s3cret")]
    public void APlainResponseOfAnotherShapeFailsWithoutAskingTheHost(string response)
    {
        Assert.Equal(new CommandOutcome(SmtpReplies.AuthFailed), _sasl.Begin("PLAIN " + Base64(response), SmtpState.Ready));
        Assert.Empty(_host.Credentials);
    }

    [Fact]
    public void AnUnknownMechanismIs504()
    {
        Assert.Equal(new CommandOutcome(SmtpReplies.AuthMechanismUnknown), _sasl.Begin("CRAM-MD5", SmtpState.Ready));
        Assert.False(_sasl.AwaitsResponse);
    }

    [Fact]
    public void AuthIsRefusedInRfc4954sOrder()
    {
        var relay = new SaslExchange(Session(submission: false), _host);
        Assert.Equal(SmtpReplies.AuthNotOffered, relay.Begin("PLAIN", SmtpState.Ready).Reply);

        var plaintext = Session(submission: true);
        Assert.Equal(SmtpReplies.EncryptionRequired, new SaslExchange(plaintext, _host).Begin("PLAIN", SmtpState.Ready).Reply);

        // Before EHLO and inside a transaction (RFC 4954 4).
        Assert.Equal(SmtpReplies.BadSequence, _sasl.Begin("PLAIN", SmtpState.Initial).Reply);
        Assert.Equal(SmtpReplies.BadSequence, _sasl.Begin("PLAIN", SmtpState.Mail).Reply);

        _info.AuthenticatedUser = "alice";
        Assert.Equal(SmtpReplies.AlreadyAuthenticated, _sasl.Begin("PLAIN", SmtpState.Mail).Reply);
        Assert.False(_sasl.AwaitsResponse);
    }

    [Fact]
    public async Task AHostThatSays421EndsTheSession()
    {
        _host.NextAuthVerdict = AuthVerdict.Refused(SmtpReplies.AuthBlocked);
        _sasl.Begin("PLAIN " + Base64("\0alice\0s3cret"), SmtpState.Ready);

        Assert.Equal(new CommandOutcome(SmtpReplies.AuthBlocked, Closes: true), await _sasl.AuthenticateAsync(CancellationToken.None));
    }

    [Fact]
    public void RefuseEndsTheExchangeWithTheGivenReply()
    {
        _sasl.Begin("LOGIN", SmtpState.Ready);

        Assert.Equal(new CommandOutcome(SmtpReplies.AuthBadEncoding), _sasl.Refuse(SmtpReplies.AuthBadEncoding));
        Assert.False(_sasl.AwaitsResponse);
    }
}
