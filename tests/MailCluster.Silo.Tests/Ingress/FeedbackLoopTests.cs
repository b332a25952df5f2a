using System.Buffers;
using System.Net;
using System.Text;
using MailCluster.Events;
using MailCluster.Mime.Dkim;
using MailCluster.Silo.Ingress;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Testing.Feedback;

namespace MailCluster.Silo.Tests.Ingress;

/// <summary>Reports to a feedback-loop address: taken from anyone, never relayed; a complaint suppresses its complainer and is an event.</summary>
public sealed class FeedbackLoopTests : IAsyncDisposable
{
    private const string Fbl = "fbl@sender.example";

    private readonly IngressTestBed _bed = new();
    // A provider's MX is no trusted client and no submission user.
    private readonly SmtpSessionInfo _provider = IngressParts.Session("198.51.100.77");
    private readonly SpoolingSessionHost _host;
    private readonly IngressMetrics _metrics;

    public FeedbackLoopTests()
    {
        _metrics = new IngressMetrics(_bed.Meters, () => 0);
        var events = new EventRecorder(new EventsOptions { Sinks = [new EventSinkOptions { Name = "hooks" }] }, _bed.Spool, "silo-0");
        _host = IngressParts.Host(
            _bed.Spool, _bed.Suppressions, new DkimOptions(), new SubmissionUsers(null), _metrics, _bed.Delivery, _bed.Time,
            feedback: IngressParts.Feedback(_bed.Suppressions, _metrics, _bed.Time, _bed.Directory.Path, "other@sender.example, FBL@Sender.example", events));
    }

    [Fact]
    public async Task AComplaintFromAnUntrustedProviderSuppressesTheComplainerAndIsAnEvent()
    {
        var transaction = Transaction();
        Assert.Null(_host.AuthorizeRecipient(_provider, transaction, new Mailbox("fbl", "sender.example")));
        transaction.Add(new Recipient(new Mailbox("fbl", "sender.example"), RcptParameters.None));

        var reply = await CommitAsync(transaction, ProviderReports.Yahoo);

        Assert.StartsWith("250", reply.ToString(), StringComparison.Ordinal);
        Assert.True(_bed.Suppressions.IsSuppressed("Reader@yahoo.example"));
        var complaint = DeliveryEvent.FromJson(Assert.Single(await _bed.Spool.ReadAsync(0, 10, CancellationToken.None)).Body)!;
        Assert.Equal(
            (EventKind.Complaint, "reader@yahoo.example", ProviderReports.OurQueueId, "<weekly-49.reader@sender.example>", "bounces@sender.example", "abuse", "198.51.100.77"),
            (complaint.Kind, complaint.Recipient, complaint.QueueId, complaint.MessageId, complaint.Sender, complaint.Category, complaint.Client));
        // Not relayed: nothing for delivery.
        Assert.Equal(0, (await _bed.Spool.CountAsync(CancellationToken.None)).Messages);
    }

    [Fact]
    public async Task AnOutlookJmrpReportIsAComplaintToo()
    {
        var transaction = Transaction(Fbl);

        Assert.StartsWith("250", (await CommitAsync(transaction, ProviderReports.Outlook)).ToString(), StringComparison.Ordinal);

        Assert.True(_bed.Suppressions.IsSuppressed("reader@outlook.example"));
    }

    [Fact]
    public void AReportAddressTakesATransactionOfItsOwn()
    {
        // An untrusted client may not relay, even beside a report.
        Assert.Equal(SmtpReplies.RelayDenied, _host.AuthorizeRecipient(_provider, Transaction(), new Mailbox("bob", "dest.test")));
        Assert.Equal(SmtpReplies.ReportsApart, _host.AuthorizeRecipient(_provider, Transaction(Fbl), new Mailbox("bob", "dest.test")));
        var trusted = IngressParts.Session("127.0.0.1");
        Assert.Equal(SmtpReplies.ReportsApart, _host.AuthorizeRecipient(trusted, Transaction("bob@dest.test"), new Mailbox("fbl", "sender.example")));
        Assert.Null(_host.AuthorizeRecipient(trusted, Transaction(Fbl), new Mailbox("other", "sender.example")));
    }

    [Fact]
    public async Task AReportWithoutAComplainerIsKeptForAnOperator()
    {
        var transaction = Transaction(Fbl);

        var reply = await CommitAsync(transaction, "From: someone@provider.example\r\nSubject: please stop\r\n\r\nI did not sign up.\r\n");

        Assert.StartsWith("250", reply.ToString(), StringComparison.Ordinal);
        var kept = Path.Combine(_bed.Directory.Path, "feedback", transaction.QueueId + ".eml");
        Assert.Contains("I did not sign up.", await File.ReadAllTextAsync(kept), StringComparison.Ordinal);
        Assert.Empty(_bed.Suppressions.List());
        Assert.Empty(await _bed.Spool.ReadAsync(0, 10, CancellationToken.None));
    }

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private static SmtpTransaction Transaction(params string[] recipients) => IngressParts.Transaction("feedback@provider.example", recipients);

    private async Task<SmtpReply> CommitAsync(SmtpTransaction transaction, string content)
    {
        var body = new ArrayBufferWriter<byte>();
        _host.BeginMessage(_provider, transaction, body);
        body.Write(Encoding.ASCII.GetBytes(content));
        return await _host.CommitAsync(_provider, transaction, MessageContent.Of(new ReadOnlySequence<byte>(body.WrittenMemory)), CancellationToken.None);
    }
}
