using System.Security.Cryptography.X509Certificates;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Testing;
using MailCluster.Testing.IO;
using SessionHarness = MailCluster.Testing.Smtp.SmtpSessionHarness<MailCluster.Smtp.Tests.Server.RecordingSessionHost>;

namespace MailCluster.Smtp.Tests.Server;

public sealed class SessionTests
{
    private static async Task<SessionHarness> ReadyAsync(SmtpServerLimits? limits = null, string remote = "127.0.0.1")
    {
        var harness = new SessionHarness(new RecordingSessionHost(), limits, remoteAddress: remote);
        await harness.ReadReplyAsync();
        Assert.StartsWith("250", await harness.CommandAsync("EHLO client.test"));
        return harness;
    }

    [Fact]
    public async Task StoredContentHasTraceHeaderAndUnstuffedDots()
    {
        await using var harness = await ReadyAsync();
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        await harness.CommandAsync("DATA");
        var reply = await harness.CommandAsync("Subject: s\r\n\r\n..dot\r\n...two\r\nend\r\n.");
        Assert.Equal("250 2.0.0 Ok: queued as Q1", reply);
        Assert.Equal("X-Trace: test\r\nSubject: s\r\n\r\n.dot\r\n..two\r\nend\r\n", Assert.Single(harness.Host.Committed).Content);
    }

    [Fact]
    public async Task ContentPastTheMemoryLimitGoesToAFileAsItArrivesAndTheFileGoesWithTheTransaction()
    {
        using var spill = new TempDirectory();
        var limits = new SmtpServerLimits { MaxContentInMemory = 64 * 1024, SpillDirectory = spill.Path };
        await using var harness = await ReadyAsync(limits);
        var line = new string('x', 998) + "\r\n";
        var large = "Subject: large\r\n\r\n" + string.Concat(Enumerable.Repeat(line, 200));

        foreach (var content in new[] { "Subject: small\r\n\r\nbody\r\n", large })
        {
            await harness.CommandAsync("MAIL FROM:<a@client.test>");
            await harness.CommandAsync("RCPT TO:<b@dest.test>");
            await harness.CommandAsync("DATA");
            Assert.StartsWith("250", await harness.CommandAsync(content + "."), StringComparison.Ordinal);
        }
        // BDAT too: chunks past the limit go to the file.
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        await harness.SendAsync($"BDAT {large.Length} LAST\r\n{large}");
        Assert.StartsWith("250", Assert.Single(await harness.ReadReplyAsync()), StringComparison.Ordinal);

        Assert.Equal([true, false, false], harness.Host.CommittedInMemory);
        Assert.Equal("X-Trace: test\r\n" + large, harness.Host.Committed[1].Content);
        Assert.Equal("X-Trace: test\r\n" + large, harness.Host.Committed[2].Content);
        Assert.Empty(Directory.EnumerateFiles(spill.Path));
    }

    [Fact]
    public async Task OurClientReadsEveryExtensionOurServerAnnounces()
    {
        await using var harness = new SessionHarness(new RecordingSessionHost());
        await harness.ReadReplyAsync();

        // The client's parser takes the reply's text: its lines without the "250-" / "250 " prefix.
        var lines = (await harness.CommandAsync("EHLO client.test")).Split('\n').Select(l => l[4..]);
        var extensions = SmtpExtensions.Parse(new SmtpReply(250, null, string.Join('\n', lines)));

        foreach (var extension in Enum.GetValues<SmtpExtension>().Where(e => e is not (SmtpExtension.None or SmtpExtension.StartTls)))
        {
            Assert.True(extensions.Has(extension), $"{extension} announced but not read back");
        }
        Assert.Equal(new SmtpServerLimits().MaxMessageSize, extensions.MaxSize);
    }

    [Fact]
    public async Task ClientOutsideTrustedNetworksCannotRelay()
    {
        await using var harness = await ReadyAsync(remote: "192.0.2.7");
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        Assert.Equal("554 5.7.1 Relay access denied", await harness.CommandAsync("RCPT TO:<b@dest.test>"));
        Assert.StartsWith("503", await harness.CommandAsync("DATA"));
    }

    [Fact]
    public async Task SpoolFailureGets4xxAndTheSessionKeepsServing()
    {
        await using var harness = await ReadyAsync();
        harness.Host.NextCommitReply = SmtpReplies.SpoolUnavailable;
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        await harness.CommandAsync("DATA");
        Assert.Equal("451 4.3.0 Queue temporarily unavailable, try again later", await harness.CommandAsync("x\r\n."));
        Assert.Empty(harness.Host.Committed);
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        await harness.CommandAsync("DATA");
        Assert.StartsWith("250 2.0.0 Ok: queued as", await harness.CommandAsync("x\r\n."));
    }

    [Fact]
    public async Task SenderRefusedByTheHostGetsItsReplyWithTheDeclaredSizeAndNoTransaction()
    {
        await using var harness = await ReadyAsync();
        harness.Host.SenderRefusal = SmtpReplies.SpoolFull;

        Assert.Equal("452 4.3.1 Insufficient system storage, try again later", await harness.CommandAsync("MAIL FROM:<a@client.test> SIZE=5000"));
        Assert.StartsWith("503", await harness.CommandAsync("RCPT TO:<b@dest.test>"));

        harness.Host.SenderRefusal = null;
        Assert.StartsWith("250", await harness.CommandAsync("MAIL FROM:<a@client.test>"));
        Assert.Equal([5000, null], harness.Host.DeclaredSizes);
    }

    [Fact]
    public async Task RecipientLimitAnswers452AndKeepsTheAcceptedOnes()
    {
        await using var harness = await ReadyAsync(new SmtpServerLimits { MaxRecipientsPerMessage = 100 });
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        for (var i = 0; i < 100; i++)
        {
            Assert.StartsWith("250", await harness.CommandAsync($"RCPT TO:<r{i}@dest.test>"));
        }
        Assert.Equal("452 4.5.3 Too many recipients", await harness.CommandAsync("RCPT TO:<over@dest.test>"));
        await harness.CommandAsync("DATA");
        await harness.CommandAsync("x\r\n.");
        Assert.Equal(100, Assert.Single(harness.Host.Committed).Transaction.Recipients.Count);
    }

    [Fact]
    public async Task OverlongCommandLineIsRefusedAndTheSessionContinues()
    {
        await using var harness = await ReadyAsync();
        Assert.Equal("500 5.5.2 Command line too long (RFC 5321 4.5.3.1.4)", await harness.CommandAsync("NOOP " + new string('x', 5000)));
        Assert.Equal("250 2.0.0 Ok", await harness.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task TooManyBadCommandsEndTheSessionWith421()
    {
        await using var harness = await ReadyAsync(new SmtpServerLimits { MaxBadCommands = 3 });
        for (var i = 0; i < 3; i++)
        {
            Assert.StartsWith("500", await harness.CommandAsync("BOGUS"));
        }
        await harness.SendAsync("BOGUS\r\n");
        Assert.StartsWith("500", await harness.ReadLineAsync());
        Assert.Equal("421 4.7.0 Too many errors, closing connection", await harness.ReadLineAsync());
        Assert.Null(await harness.ReadLineAsync());
    }

    [Fact]
    public async Task MessageOverTheSizeLimitIsRefusedWith552AfterTheEnd()
    {
        await using var harness = await ReadyAsync(new SmtpServerLimits { MaxMessageSize = 64 * 1024 });
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        await harness.CommandAsync("DATA");
        var line = new string('y', 998) + "\r\n";
        var body = string.Concat(Enumerable.Repeat(line, 70));
        Assert.Equal("552 5.3.4 Message size exceeds fixed maximum message size", await harness.CommandAsync(body + "."));
        Assert.Empty(harness.Host.Committed);
        Assert.Equal(552, Assert.Single(harness.Host.Refused).Code);
    }

    [Fact]
    public async Task BdatChunkOverTheSizeLimitIsReadAndRefused()
    {
        await using var harness = await ReadyAsync(new SmtpServerLimits { MaxMessageSize = 64 * 1024 });
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        await harness.SendAsync("BDAT 70000 LAST\r\n" + new string('z', 70000));
        Assert.Equal("552 5.3.4 Message size exceeds fixed maximum message size", await harness.ReadLineAsync());
        Assert.Equal("250 2.0.0 Ok", await harness.CommandAsync("NOOP"));
        Assert.StartsWith("503", await harness.CommandAsync("RCPT TO:<c@dest.test>"));
    }

    [Fact]
    public async Task TextLineOverTheLimitIsRefused()
    {
        await using var harness = await ReadyAsync();
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        await harness.CommandAsync("DATA");
        Assert.StartsWith("554 5.6.0 Message contains a line longer", await harness.CommandAsync(new string('l', 999) + "\r\n."));
    }

    [Fact]
    public async Task AHeartbeatDuringAnImplicitTlsHandshakeLeavesTheSessionAlone()
    {
        using var certificate = MailCluster.Testing.IO.TestCertificate.Create("mx.test");
        await using var harness = new SessionHarness(new RecordingSessionHost(), certificate: certificate, implicitTls: true);
        await MailCluster.Testing.Polling.UntilAsync(() => harness.Heartbeat.SessionCount == 1, "the session's registration");

        // RFC 8314 3.3: TLS comes first; a heartbeat while the client is still to say hello is no idle timeout.
        harness.Time.Advance(TimeSpan.FromSeconds(30));
        harness.Heartbeat.OnHeartbeat();
        await harness.StartClientTlsAsync();

        Assert.StartsWith("220 mx.test", await harness.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Equal("250 2.0.0 Ok", await harness.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task IdleSessionGets421FromTheHeartbeat()
    {
        await using var harness = await ReadyAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(4));
        harness.Heartbeat.OnHeartbeat();
        Assert.Equal("250 2.0.0 Ok", await harness.CommandAsync("NOOP"));
        harness.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        harness.Heartbeat.OnHeartbeat();
        Assert.Equal("421 4.4.2 Idle timeout, closing connection", await harness.ReadLineAsync());
        Assert.Null(await harness.ReadLineAsync());
        Assert.Equal(0, harness.Heartbeat.SessionCount);
    }

    [Fact]
    public async Task ASessionKeptAliveInsideATransactionIsCutAtItsTimeLimit()
    {
        var limits = new SmtpServerLimits { IdleTimeout = TimeSpan.FromMinutes(30), MaxSessionDuration = TimeSpan.FromHours(1) };
        await using var harness = await ReadyAsync(limits);
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        // Input every five minutes (each answered, so the session has seen it) never trips the idle
        // timeout, 30 min here; the session's own limit ends it.
        for (var minute = 0; minute < 60; minute += 5)
        {
            Assert.Equal("250 2.0.0 Ok", await harness.CommandAsync("NOOP"));
            harness.Time.Advance(TimeSpan.FromMinutes(5));
            harness.Heartbeat.OnHeartbeat();
        }
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        harness.Heartbeat.OnHeartbeat();
        Assert.Equal("421 4.4.2 Session time limit reached, closing connection", await harness.ReadLineAsync());
        Assert.Null(await harness.ReadLineAsync());
        Assert.Empty(harness.Host.Committed);
    }

    [Fact]
    public async Task ASessionWhoseClientStoppedReadingEndsAtItsTimeLimit()
    {
        var limits = new SmtpServerLimits { MaxSessionDuration = TimeSpan.FromMinutes(10) };
        await using var harness = await ReadyAsync(limits);
        // Pipelined RSETs whose replies (15 octets each) are never read: the server's writes back up.
        await harness.SendAsync(string.Concat(Enumerable.Repeat("RSET\r\n", 20_000)));
        // No event says "the session is stuck writing": ask until it has taken the input and is still running.
        await Polling.UntilAsync(() => harness.Heartbeat.SessionCount == 1 && !harness.Run.IsCompleted, "the session blocking on its replies");

        harness.Time.Advance(limits.MaxSessionDuration + TimeSpan.FromSeconds(1));
        harness.Heartbeat.OnHeartbeat();

        await harness.Run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, harness.Heartbeat.SessionCount);
    }


    [Fact]
    public async Task DrainingSessionFinishesItsTransactionThenSays421()
    {
        await using var harness = await ReadyAsync();
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        await harness.CommandAsync("DATA");

        harness.Heartbeat.DrainAll();

        Assert.StartsWith("250 2.0.0 Ok: queued as", await harness.CommandAsync("in flight\r\n."));
        Assert.Equal("421 4.3.2 Service shutting down, try again later", await harness.ReadLineAsync());
        Assert.Null(await harness.ReadLineAsync());
        Assert.Single(harness.Host.Committed);
    }

    [Fact]
    public async Task DrainingIdleSessionGets421AtOnce()
    {
        await using var harness = await ReadyAsync();
        harness.Heartbeat.DrainAll();
        Assert.Equal("421 4.3.2 Service shutting down, try again later", await harness.ReadLineAsync());
        Assert.Null(await harness.ReadLineAsync());
    }

    /// <summary>A submission session over TLS, greeted and past EHLO.</summary>
    private static async Task<SessionHarness> SubmissionOverTlsAsync(X509Certificate2 certificate)
    {
        var harness = new SessionHarness(new RecordingSessionHost(), certificate: certificate, submission: true);
        await harness.ReadReplyAsync();
        var plain = await harness.CommandAsync("EHLO client.test");
        Assert.DoesNotContain("AUTH", plain, StringComparison.Ordinal);
        Assert.Equal("538 5.7.11 Encryption required for requested authentication mechanism", await harness.CommandAsync("AUTH PLAIN"));
        Assert.Equal("530 5.7.0 Authentication required", await harness.CommandAsync("MAIL FROM:<alice@client.test>"));
        Assert.StartsWith("220", await harness.CommandAsync("STARTTLS"), StringComparison.Ordinal);
        await harness.StartClientTlsAsync();
        Assert.Contains("250 AUTH PLAIN LOGIN", await harness.CommandAsync("EHLO client.test"), StringComparison.Ordinal);
        return harness;
    }

    [Fact]
    public async Task AuthPlainWithAnInitialResponseAuthenticatesOverTlsOnly()
    {
        using var certificate = TestCertificate.Create("mx.test");
        await using var harness = await SubmissionOverTlsAsync(certificate);

        Assert.Equal("535 5.7.8 Authentication credentials invalid", await harness.CommandAsync("AUTH PLAIN " + Base64("\0alice\0wrong")));
        Assert.Equal("235 2.7.0 Authentication successful", await harness.CommandAsync("AUTH PLAIN " + Base64("\0alice\0s3cret")));
        Assert.Equal("503 5.5.1 Already authenticated", await harness.CommandAsync("AUTH PLAIN " + Base64("\0alice\0s3cret")));
        Assert.StartsWith("250", await harness.CommandAsync("MAIL FROM:<alice@client.test>"), StringComparison.Ordinal);
        Assert.Equal([("alice", "wrong"), ("alice", "s3cret")], harness.Host.Credentials);
    }

    [Fact]
    public async Task AfterAuthTheSessionKnowsTheUserByTheHostsCanonicalNameNotAsTyped()
    {
        using var certificate = TestCertificate.Create("mx.test");
        await using var harness = await SubmissionOverTlsAsync(certificate);

        Assert.Equal("235 2.7.0 Authentication successful", await harness.CommandAsync("AUTH PLAIN " + Base64("\0ALICE\0s3cret")));
        Assert.Equal("alice", harness.Session.Info.AuthenticatedUser);
    }

    [Fact]
    public async Task ATransactionsReservationIsReleasedWhenItEndsWithoutACommit()
    {
        await using var harness = await ReadyAsync();
        // RSET, EHLO and a refused message each end a transaction.
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RSET");
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("EHLO client.test");
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        await harness.CommandAsync("DATA");
        harness.Host.NextCommitReply = SmtpReplies.SpoolUnavailable;
        await harness.CommandAsync("x\r\n.");
        // A committed one, and one left open when the client goes away.
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        await harness.CommandAsync("DATA");
        Assert.StartsWith("250", await harness.CommandAsync("x\r\n."), StringComparison.Ordinal);
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("QUIT");
        await harness.Run;

        Assert.Equal([1, 1, 1, 1, 1], harness.Host.Reservations.Select(r => r.Disposals));
        Assert.Equal([false, false, false, true, false], harness.Host.Reservations.Select(r => r.Committed));
    }

    [Fact]
    public async Task ARefusedSendersReservationIsReleasedAtOnce()
    {
        await using var harness = await ReadyAsync();
        harness.Host.SenderRefusal = SmtpReplies.SpoolFull;
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        Assert.Equal(1, Assert.Single(harness.Host.Reservations).Disposals);
    }

    [Fact]
    public async Task AuthLoginPromptsForNameAndPasswordAndAStarCancels()
    {
        using var certificate = TestCertificate.Create("mx.test");
        await using var harness = await SubmissionOverTlsAsync(certificate);

        Assert.Equal("334 VXNlcm5hbWU6", await harness.CommandAsync("AUTH LOGIN"));
        Assert.Equal("501 5.0.0 Authentication canceled", await harness.CommandAsync("*"));
        Assert.Equal("504 5.5.4 Unrecognized authentication type; use PLAIN or LOGIN", await harness.CommandAsync("AUTH CRAM-MD5"));
        Assert.Equal("334 " + Base64("Password:"), await harness.CommandAsync("AUTH LOGIN " + Base64("alice")));
        Assert.Equal("501 5.5.2 Cannot decode the authentication response", await harness.CommandAsync("not base64!"));
        Assert.Equal("334 VXNlcm5hbWU6", await harness.CommandAsync("AUTH LOGIN"));
        Assert.Equal("334 UGFzc3dvcmQ6", await harness.CommandAsync(Base64("alice")));
        Assert.Equal("235 2.7.0 Authentication successful", await harness.CommandAsync(Base64("s3cret")));
    }

    [Fact]
    public async Task AnAuthAnswerPastTheLineLimitOrWithABareLineFeedEndsTheExchange()
    {
        using var certificate = TestCertificate.Create("mx.test");
        await using var harness = await SubmissionOverTlsAsync(certificate);

        // RFC 4954 4: 12288 octets at most; the rest of the line is skipped, and what follows is a command again.
        Assert.Equal("334 VXNlcm5hbWU6", await harness.CommandAsync("AUTH LOGIN"));
        Assert.Equal("500 5.5.2 Command line too long (RFC 5321 4.5.3.1.4)", await harness.CommandAsync(new string('A', 13_000)));
        Assert.Equal("250 2.0.0 Ok", await harness.CommandAsync("NOOP"));

        Assert.Equal("334 ", await harness.CommandAsync("AUTH PLAIN"));
        await harness.SendAsync(Base64("\0alice\0s3cret") + "\n");
        Assert.Equal("501 5.5.2 Cannot decode the authentication response", await harness.ReadLineAsync());
        Assert.Equal("250 2.0.0 Ok", await harness.CommandAsync("NOOP"));
        Assert.Empty(harness.Host.Credentials);
    }

    [Fact]
    public async Task AuthIsNotOfferedOnTheRelayPort()
    {
        await using var harness = await ReadyAsync();
        Assert.Equal("502 5.5.1 AUTH is offered on the submission ports only", await harness.CommandAsync("AUTH PLAIN " + Base64("\0alice\0s3cret")));
    }

    private static string Base64(string text) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task StartTlsDiscardsPipelinedPlaintextAndRestartsTheSession()
    {
        using var certificate = TestCertificate.Create("mx.test");
        await using var harness = new SessionHarness(new RecordingSessionHost(), certificate: certificate);
        await harness.ReadReplyAsync();
        Assert.EndsWith("\n250 STARTTLS", await harness.CommandAsync("EHLO client.test"), StringComparison.Ordinal);

        // CVE-2011-0411: the injected MAIL FROM arrives with STARTTLS, before the handshake.
        await harness.SendAsync("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n");
        Assert.Equal("220 2.0.0 Ready to start TLS", await harness.ReadLineAsync());
        await harness.StartClientTlsAsync();

        // The session started over: no EHLO yet, and the injected MAIL was never executed.
        Assert.StartsWith("503", await harness.CommandAsync("RCPT TO:<b@dest.test>"));
        var ehlo = await harness.CommandAsync("EHLO client.test");
        Assert.DoesNotContain("STARTTLS", ehlo, StringComparison.Ordinal);
        Assert.StartsWith("503", await harness.CommandAsync("RCPT TO:<b@dest.test>"));
        Assert.StartsWith("503 5.5.1 TLS already active", await harness.CommandAsync("STARTTLS"));
        await harness.CommandAsync("MAIL FROM:<a@client.test>");
        await harness.CommandAsync("RCPT TO:<b@dest.test>");
        await harness.CommandAsync("DATA");
        Assert.StartsWith("250 2.0.0 Ok: queued", await harness.CommandAsync("secret\r\n."));
        Assert.NotNull(harness.Session.Info.TlsProtocol);
    }
}
