using System.Buffers;
using System.Text;
using MailCluster.Mime.Dkim;
using MailCluster.Silo.Ingress;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Spool;

namespace MailCluster.Silo.Tests.Ingress;

public sealed class MessageCommitTests : IAsyncDisposable
{
    private const long MiB = IngressTestBed.MiB;

    private readonly IngressTestBed _bed = new();
    private readonly MessageCommit _commit;

    public MessageCommitTests()
    {
        var metrics = new IngressMetrics(_bed.Meters, () => 0);
        var users = new SubmissionUsers(null);
        _commit = IngressParts.Commit(_bed.Spool, IngressParts.Pools(users, metrics), IngressParts.Signing(new DkimOptions(), users, metrics), metrics, _bed.Delivery, _bed.Time);
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private ValueTask<SmtpReply> CommitAsync(SmtpTransaction transaction, string content = "From: a@client.test\r\n\r\nbody\r\n")
    {
        transaction.QueueId ??= "Q" + transaction.GetHashCode();
        var body = MessageContent.Of(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(content)));
        return _commit.CommitAsync(IngressParts.Session("127.0.0.1"), transaction, body, CancellationToken.None);
    }

    [Fact]
    public async Task TheEnvelopeIsSpooledAsTheClientGaveItWithDomainsInLowerCase()
    {
        var parameters = new MailParameters(null, BodyType.EightBitMime, SmtpUtf8: false, DsnReturn.Headers, "env-1");
        var transaction = new SmtpTransaction(new ReversePath(new Mailbox("a", "client.test")), parameters) { QueueId = "Q1" };
        transaction.Add(new Recipient(new Mailbox("Bob", "Dest.TEST"), new RcptParameters(DsnNotify.Failure | DsnNotify.Delay, "rfc822;bob@dest.test")));

        Assert.Equal(SmtpReplies.Queued("Q1"), await CommitAsync(transaction));

        var stored = (await _bed.Spool.GetMessageAsync("Q1", CancellationToken.None))!;
        Assert.Equal(new SpoolMessage("Q1", "a@client.test", _bed.Time.GetUtcNow(), 29, "env-1", DsnReturn.Headers, false, true), stored.Message);
        Assert.Equal(new EnvelopeRecipient("Bob@Dest.TEST", "dest.test", DsnNotify.Failure | DsnNotify.Delay, "rfc822;bob@dest.test"), Assert.Single(stored.Recipients).Recipient);
    }

    [Fact]
    public async Task AnAcceptedMessageWakesDeliveryAtOnce()
    {
        await CommitAsync(IngressParts.Transaction("a@client.test", "b@dest.test"));

        // Notified: the wait returns without the clock moving.
        Assert.True(_bed.Delivery.WaitAsync(TimeSpan.FromHours(1), _bed.Time, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task OnlyACommitMakesTheUsersHourlyPlacePermanent()
    {
        var hourly = new HourlyCounts(_bed.Time);
        var committed = IngressParts.Transaction("a@client.test", "b@dest.test");
        committed.Reservation = hourly.TryReserve("alice", 2);
        var refused = IngressParts.Transaction("a@client.test", "b@dest.test");
        refused.Reservation = hourly.TryReserve("alice", 2);

        Assert.StartsWith("250", (await CommitAsync(committed)).ToString(), StringComparison.Ordinal);
        Assert.Equal(SmtpReplies.MoreThanOneFrom, await CommitAsync(refused, "From: a@client.test\r\nFrom: b@client.test\r\n\r\nx\r\n"));
        // The session releases both when their transactions end: the refused one's place comes back.
        committed.Reservation!.Dispose();
        refused.Reservation!.Dispose();

        Assert.NotNull(hourly.TryReserve("alice", 2));
        Assert.Null(hourly.TryReserve("alice", 2));
    }

    [Fact]
    public async Task ARefusedMessageTakesNoRoom()
    {
        await CommitAsync(IngressParts.Transaction("a@client.test", "b@dest.test"), "From: a@client.test\r\nFrom: b@client.test\r\n\r\nx\r\n");

        Assert.Equal(100 * MiB, _bed.Spool.Headroom.FreeBytes);
        Assert.Equal(0, (await _bed.Spool.CountAsync(CancellationToken.None)).Messages);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(90 * MiB, true)]
    [InlineData((90 * MiB) + 1, false)]
    public void ADeclaredSizeIsRefusedWhenItWouldCutIntoTheReserve(long size, bool fits)
    {
        Assert.Equal(fits ? null : SmtpReplies.SpoolFull, _commit.RoomFor(size));
    }
}
