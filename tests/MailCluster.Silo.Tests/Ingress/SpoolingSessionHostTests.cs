using System.Buffers;
using System.Net;
using System.Text;
using MailCluster.Events;
using MailCluster.Mime.Dkim;
using MailCluster.Silo.Ingress;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Spool;
using MailCluster.Testing.Dkim;
using Microsoft.Data.Sqlite;

namespace MailCluster.Silo.Tests.Ingress;

public sealed class SpoolingSessionHostTests : IAsyncDisposable
{
    private const long MiB = IngressTestBed.MiB;

    private readonly IngressTestBed _bed = new();
    private readonly SmtpSessionInfo _session = new(new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 25), "silo.test");
    private SpoolingSessionHost _host;

    public SpoolingSessionHostTests() => _host = Host(new DkimOptions());

    [Fact]
    public async Task ASuppressedRecipientIsRefusedAtRcptWith550()
    {
        var bob = new Mailbox("Bob", "Dest.test");
        Assert.Null(_host.AuthorizeRecipient(_session, IngressParts.Transaction("a@client.test"), bob));

        await _bed.Suppressions.AddAsync("bob@dest.test", "5.1.1 from mx.dest.test", CancellationToken.None);

        Assert.Equal(SmtpReplies.Suppressed, _host.AuthorizeRecipient(_session, IngressParts.Transaction("a@client.test"), bob));
        Assert.Null(_host.AuthorizeRecipient(_session, IngressParts.Transaction("a@client.test"), new Mailbox("carol", "dest.test")));
    }

    private SpoolingSessionHost Host(DkimOptions dkim, SubmissionUsers? users = null) =>
        IngressParts.Host(_bed.Spool, _bed.Suppressions, dkim, users ?? new SubmissionUsers(null), new IngressMetrics(_bed.Meters, () => 0), _bed.Delivery, _bed.Time, events: _events);

    /// <summary>Ingress's events, when a test turns them on (as a configured sink does).</summary>
    private IngressEvents? _events;

    [Fact]
    public async Task WithASinkEachRecipientsReceptionCommitsWithTheMessageNamingItsUserClientAndMessageId()
    {
        _events = IngressParts.Events(new EventRecorder(new EventsOptions { Sinks = [new EventSinkOptions { Name = "hooks" }] }, _bed.Spool, "silo-0"), _bed.Time);
        var session = await SubmissionSessionAsync("bulk:{0}:client.test", "bulk");
        var transaction = IngressParts.Transaction("a@client.test", "bob@dest.test", "carol@dest.test");
        Assert.Null(_host.AuthorizeSender(session, transaction));

        var reply = await CommitAsync("From: a@client.test\r\nMessage-ID:\r\n <42.x@client.test>\r\nSubject: hi\r\n\r\nbody\r\n", session, transaction);

        Assert.StartsWith("250", reply.ToString(), StringComparison.Ordinal);
        var stored = (await _bed.Spool.GetMessageAsync(transaction.QueueId!, CancellationToken.None))!.Message;
        Assert.Equal(("<42.x@client.test>", "bulk"), (stored.MessageIdHeader, stored.Submitter));
        var events = (await _bed.Spool.ReadAsync(0, 10, CancellationToken.None)).Select(e => DeliveryEvent.FromJson(e.Body)!).ToList();
        Assert.Equal(["bob@dest.test", "carol@dest.test"], events.Select(e => e.Recipient));
        Assert.All(events, e => Assert.Equal(
            (EventKind.Reception, transaction.QueueId, "<42.x@client.test>", "a@client.test", "bulk", "192.0.2.9", "silo-0"),
            (e.Kind, e.QueueId, e.MessageId, e.Sender, e.User, e.Client, e.Silo)));
    }

    [Fact]
    public async Task WithASinkARefusalOfASuppressedRecipientIsStoredAsItsEvent()
    {
        _events = IngressParts.Events(new EventRecorder(new EventsOptions { Sinks = [new EventSinkOptions { Name = "hooks" }] }, _bed.Spool, "silo-0"), _bed.Time);
        _host = Host(new DkimOptions());
        await _bed.Suppressions.AddAsync("bob@dest.test", "5.1.1 from mx.dest.test", CancellationToken.None);

        Assert.Equal(SmtpReplies.Suppressed, _host.AuthorizeRecipient(_session, IngressParts.Transaction("a@client.test"), new Mailbox("bob", "dest.test")));

        StoredEvent? stored = null;
        // The reply does not wait for the event's commit.
        await MailCluster.Testing.Polling.UntilAsync(
            async () => (stored = (await _bed.Spool.ReadAsync(0, 10, CancellationToken.None)).SingleOrDefault()) is not null, TimeSpan.FromSeconds(10), () => "no Suppressed event was stored");
        var refused = DeliveryEvent.FromJson(stored!.Body)!;
        Assert.Equal((EventKind.Suppressed, "bob@dest.test", "a@client.test", "127.0.0.1", "5.1.1"), (refused.Kind, refused.Recipient, refused.Sender, refused.Client, refused.Status));
        Assert.Null(refused.QueueId);
    }

    [Fact]
    public async Task AnAuthenticatedUserIsHeldToItsRecipientsPerMessageAndMessagesPerHour()
    {
        var session = await SubmissionSessionAsync("bulk:{0}:client.test:2:2", "bulk");

        // An untrusted address relays once authenticated; the third recipient of one message waits for the next.
        Assert.Null(_host.AuthorizeRecipient(session, IngressParts.Transaction("a@client.test"), new Mailbox("bob", "dest.test")));
        Assert.Equal(SmtpReplies.UserRecipientLimit, _host.AuthorizeRecipient(session, IngressParts.Transaction("a@client.test", "r0@dest.test", "r1@dest.test"), new Mailbox("carol", "dest.test")));
        for (var i = 0; i < 2; i++)
        {
            var (refusal, transaction) = Mail(session);
            Assert.Null(refusal);
            Assert.StartsWith("250", (await CommitAsync("From: a@client.test\r\nSubject: hi\r\n\r\nbody\r\n", session, transaction)).ToString(), StringComparison.Ordinal);
            transaction.Reservation?.Dispose();
        }
        Assert.Equal(SmtpReplies.UserHourlyLimit, Mail(session).Refusal);
        _bed.Time.Advance(TimeSpan.FromHours(1));
        Assert.Null(Mail(session).Refusal);
    }

    [Fact]
    public async Task ParallelTransactionsOfOneUserCannotAllPassTheHourlyLimitAndAnAbandonedOneGivesItsPlaceBack()
    {
        var session = await SubmissionSessionAsync("bulk:{0}:client.test:2", "bulk");

        // Two sessions at MAIL before either commits: a third is refused now, not after the fact.
        var first = Mail(session);
        var second = Mail(session);
        Assert.Null(first.Refusal);
        Assert.Null(second.Refusal);
        Assert.Equal(SmtpReplies.UserHourlyLimit, Mail(session).Refusal);
        // RSET (the session disposes the reservation) gives the place back.
        second.Transaction.Reservation!.Dispose();
        Assert.Null(Mail(session).Refusal);
    }

    [Fact]
    public async Task AUserWhoLogsInUnderALookAlikeSpellingIsCountedAsItself()
    {
        // U+212A KELVIN SIGN lower-cases to "k": the same user, whose hour must count it.
        var session = await SubmissionSessionAsync("kelvin:{0}:client.test:1", "\u212Aelvin");

        Assert.Equal("kelvin", session.AuthenticatedUser);
        var (refusal, transaction) = Mail(session);
        Assert.Null(refusal);
        Assert.StartsWith("250", (await CommitAsync("From: a@client.test\r\n\r\nbody\r\n", session, transaction)).ToString(), StringComparison.Ordinal);
        Assert.Equal(SmtpReplies.UserHourlyLimit, Mail(session).Refusal);
    }

    [Theory]
    // A second From: field, with the victim's address first or second.
    [InlineData("From: a@client.test\r\nFrom: ceo@bank.test\r\n")]
    [InlineData("From: ceo@bank.test\r\nFrom: a@client.test\r\n")]
    // An encoded-word that decodes to an address in a comment around the real one: a decoded parse sees a@client.test, the signer bank.test.
    [InlineData("From: =?utf-8?q?a=40client=2Etest_=28?= <ceo@bank.test> =?utf-8?q?=29?=\r\n")]
    // A foreign Sender: or a second mailbox in From:.
    [InlineData("From: a@client.test\r\nSender: ceo@bank.test\r\n")]
    [InlineData("From: a@client.test, ceo@bank.test\r\nSender: a@client.test\r\n")]
    // No parseable author at all.
    [InlineData("From: undisclosed\r\n")]
    public async Task AnAuthenticatedUserCannotSendOrBeSignedAsAnotherTenantsDomain(string authorFields)
    {
        var client = DkimTestKey.Ed25519(_bed.Directory.Path, "client.test", "s1");
        var bank = DkimTestKey.Ed25519(_bed.Directory.Path, "bank.test", "s1");
        var keys = new DkimOptions { Keys = [Key(client), Key(bank)] };
        var session = await SubmissionSessionAsync("alice:{0}:client.test", "alice", keys);

        var reply = await CommitAsync(authorFields + "Subject: hi\r\n\r\nbody\r\n", session);

        Assert.Equal(5, reply.Code / 100);
        Assert.Equal(0, (await _bed.Spool.CountAsync(CancellationToken.None)).Messages);
    }

    [Fact]
    public async Task MailWithTwoFromFieldsIsRefusedFromATrustedRelayToo()
    {
        Assert.Equal(SmtpReplies.MoreThanOneFrom, await CommitAsync("From: a@client.test\r\nFrom: b@client.test\r\n\r\nbody\r\n"));
    }

    [Fact]
    public async Task TheSignatureIsMadeForTheDomainThatWasChecked()
    {
        var client = DkimTestKey.Ed25519(_bed.Directory.Path, "client.test", "s1");
        var bank = DkimTestKey.Ed25519(_bed.Directory.Path, "bank.test", "s1");
        var session = await SubmissionSessionAsync("alice:{0}:client.test", "alice", new DkimOptions { Keys = [Key(client), Key(bank)] });

        var reply = await CommitAsync("From: \"Alice (=?utf-8?q?ceo=40bank=2Etest?=)\" <a@client.test>\r\nSubject: hi\r\n\r\nbody\r\n", session);

        var content = Encoding.ASCII.GetString((await _bed.Spool.ReadContentAsync(reply.Text.Split(' ')[^1], CancellationToken.None))!);
        Assert.Contains("d=client.test", content, StringComparison.Ordinal);
        Assert.DoesNotContain("d=bank.test", content, StringComparison.Ordinal);
    }

    private static DkimKeyOptions Key(DkimTestKey key) => new() { Domain = key.Domain, Selector = key.Selector, KeyFile = key.KeyFile, Algorithm = key.Algorithm };

    /// <summary>A submission session from an untrusted address, authenticated through the host as <paramref name="typed"/> (password "pw").</summary>
    private async Task<SmtpSessionInfo> SubmissionSessionAsync(string userLine, string typed, DkimOptions? dkim = null)
    {
        var file = Path.Combine(_bed.Directory.Path, "users");
        await File.WriteAllTextAsync(file, string.Format(System.Globalization.CultureInfo.InvariantCulture, userLine, MailCluster.Admin.PasswordHash.Create("pw", MailCluster.Admin.PasswordHash.MinimumIterations)) + "\n");
        _host = Host(dkim ?? new DkimOptions(), new SubmissionUsers(file));
        var session = new SmtpSessionInfo(new IPEndPoint(IPAddress.Parse("192.0.2.9"), 40000), new IPEndPoint(IPAddress.Loopback, 2587), "silo.test") { IsSubmission = true };
        var verdict = await _host.AuthenticateAsync(session, typed, "pw", CancellationToken.None);
        Assert.Equal(SmtpReplies.AuthSucceeded, verdict.Reply);
        session.AuthenticatedUser = verdict.User;
        return session;
    }

    private (SmtpReply? Refusal, SmtpTransaction Transaction) Mail(SmtpSessionInfo session, long? size = null)
    {
        var transaction = new SmtpTransaction(new ReversePath(new Mailbox("a", "client.test")), MailParameters.None with { Size = size });
        return (_host.AuthorizeSender(session, transaction), transaction);
    }

    [Fact]
    public async Task WhenSigningIsRequiredMailWithoutAKeyGets550AndIsNotSpooled()
    {
        var key = DkimTestKey.Ed25519(_bed.Directory.Path, "client.test", "s1");
        _host = Host(new DkimOptions { Keys = [new() { Domain = key.Domain, Selector = key.Selector, KeyFile = key.KeyFile, Algorithm = key.Algorithm }], Required = true });

        var refused = await CommitAsync("From: a@other.test\r\nSubject: hi\r\n\r\nbody\r\n");
        var signed = await CommitAsync("From: a@client.test\r\nSubject: hi\r\n\r\nbody\r\n");

        Assert.Equal(SmtpReplies.UnsignedRefused, refused);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", signed.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, (await _bed.Spool.CountAsync(CancellationToken.None)).Messages);
        // Spooled signed: the signature fields, then the message as received (our Received field first).
        var content = Encoding.ASCII.GetString((await _bed.Spool.ReadContentAsync(signed.Text.Split(' ')[^1], CancellationToken.None))!);
        Assert.StartsWith("DKIM-Signature:", content, StringComparison.Ordinal);
        Assert.Contains("\r\nReceived: ", content, StringComparison.Ordinal);
        Assert.EndsWith("\r\nFrom: a@client.test\r\nSubject: hi\r\n\r\nbody\r\n", content, StringComparison.Ordinal);
    }

    [Fact]
    public void SenderGets452WhileTheDeclaredSizeOrNothingAtAllFitsAboveTheReserve()
    {
        Assert.Null(Mail(_session).Refusal);
        Assert.Null(Mail(_session, 90 * MiB).Refusal);
        Assert.Equal(SmtpReplies.SpoolFull, Mail(_session, (90 * MiB) + 1).Refusal);

        _bed.Disk = new DiskSpace(9 * MiB, 1000 * MiB);
        _bed.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(SmtpReplies.SpoolFull, Mail(_session).Refusal);
    }

    [Fact]
    public async Task AMessageThatWouldCutIntoTheReserveGets452AndIsNotSpooled()
    {
        _bed.Disk = new DiskSpace(10 * MiB + 100, 1000 * MiB);
        _bed.Time.Advance(TimeSpan.FromSeconds(1));

        var reply = await CommitAsync("x\r\n".PadLeft(200, 'x'));

        Assert.Equal(SmtpReplies.SpoolFull, reply);
        Assert.Equal(0, (await _bed.Spool.CountAsync(CancellationToken.None)).Messages);
    }

    [Fact]
    public async Task AStoredMessageIsAnsweredWithItsQueueIdAndCountsAgainstTheRoomUntilMeasuredAgain()
    {
        var reply = await CommitAsync("Subject: hi\r\n\r\nbody\r\n");

        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, (await _bed.Spool.CountAsync(CancellationToken.None)).Messages);
        Assert.True(_bed.Spool.Headroom.FreeBytes < 100 * MiB);
    }

    [Fact]
    public async Task ASpoolThatCannotCommitGets451AndTheRoomTakenIsGivenBack()
    {
        await using var blocker = new SqliteConnection($"Data Source={Path.Combine(_bed.Directory.Path, "spool.db")};Pooling=False");
        await blocker.OpenAsync();
        await using var transaction = blocker.BeginTransaction(deferred: false);

        var reply = await CommitAsync("Subject: hi\r\n\r\nbody\r\n");

        Assert.Equal(SmtpReplies.SpoolUnavailable, reply);
        Assert.Equal(100 * MiB, _bed.Spool.Headroom.FreeBytes);
    }

    private async Task<SmtpReply> CommitAsync(string content, SmtpSessionInfo? session = null, SmtpTransaction? transaction = null)
    {
        session ??= _session;
        transaction ??= new SmtpTransaction(new ReversePath(new Mailbox("a", "client.test")), MailParameters.None);
        var body = new ArrayBufferWriter<byte>();
        _host.BeginMessage(session, transaction, body);
        body.Write(Encoding.ASCII.GetBytes(content));
        return await _host.CommitAsync(session, transaction, MessageContent.Of(new ReadOnlySequence<byte>(body.WrittenMemory)), CancellationToken.None);
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();
}
