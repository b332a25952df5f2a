using MailCluster.Delivery.Suppression;
using MailCluster.Events;
using MailCluster.Mime.Feedback;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Spool;
using Microsoft.Extensions.Logging;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// Mail to a feedback-loop address (<c>Fbl:Addresses</c>, registered with providers' complaint
/// programs) is not relayed: it is read as a complaint (<see cref="FeedbackReport"/>), recorded
/// as a <c>Complaint</c> event, and the complainer is suppressed (the list is shared by every
/// silo). A report whose complainer cannot be read is kept under the spool's <c>feedback/</c> for
/// an operator and counted. Providers send from anywhere, so these addresses take mail from any
/// client, and only in a transaction of their own.
/// </summary>
/// <param name="spoolPath">The spool's directory (<c>Spool:Path</c>): kept reports go under its <c>feedback/</c>, on the spool's volume.</param>
internal sealed class FeedbackLoop(FeedbackLoopOptions options, SuppressionList suppressions, EventRecorder? events, string spoolPath, IngressMetrics metrics, TimeProvider time, ILogger<FeedbackLoop> logger)
{
    private readonly HashSet<string> _addresses = new(options.AddressList(), StringComparer.OrdinalIgnoreCase);

    public bool IsReportAddress(Mailbox recipient) => _addresses.Count > 0 && _addresses.Contains(recipient.ToString());

    /// <summary>Null while the transaction holds one kind of recipient; 452 4.5.3 for a report address beside other mail.</summary>
    public SmtpReply? Mixes(SmtpTransaction transaction, Mailbox recipient)
    {
        if (_addresses.Count == 0 || transaction.Recipients.Count == 0)
        {
            return null;
        }
        return IsReportAddress(transaction.Recipients[0].Mailbox) == IsReportAddress(recipient) ? null : SmtpReplies.ReportsApart;
    }

    public bool IsReport(SmtpTransaction transaction) => _addresses.Count > 0 && transaction.Recipients.Count > 0 && IsReportAddress(transaction.Recipients[0].Mailbox);

    /// <summary>250 once the complaint's event and suppression are stored (or the report kept); 4xx when they cannot be now, so the provider sends it again.</summary>
    public async ValueTask<SmtpReply> TakeAsync(SmtpSessionInfo session, SmtpTransaction transaction, MessageContent body, CancellationToken cancellationToken)
    {
        var queueId = transaction.QueueId!;
        FeedbackReport? report;
        using (var content = body.OpenRead())
        {
            report = FeedbackReport.Parse(content, QueueIdGenerator.IsWellFormed);
        }
        try
        {
            if (report?.Recipient is not { } complainer)
            {
                await KeepAsync(queueId, body, cancellationToken);
                metrics.FeedbackReport("kept");
                Log.FeedbackReportKept(logger, queueId, session.Remote, report is null ? "it is neither an ARF nor a JMRP report" : "it names no complainer");
                return SmtpReplies.Queued(queueId);
            }
            var now = time.GetUtcNow();
            if (events is { Enabled: true })
            {
                var complaint = events.Standalone(EventKind.Complaint, report.OriginalSender ?? "", complainer, user: null, session.Remote.Address.ToString(), now) with
                {
                    QueueId = report.OriginalQueueId,
                    MessageId = report.OriginalMessageId,
                    Category = report.FeedbackType,
                    Reply = $"{report.Format} report{(report.UserAgent is { } agent ? " from " + agent : "")}, queued as {queueId}",
                };
                await events.RecordAsync([complaint], cancellationToken);
            }
            await suppressions.AddAsync(complainer, $"complaint ({report.FeedbackType}) about {report.OriginalMessageId ?? report.OriginalQueueId ?? "a message"}", cancellationToken);
            metrics.FeedbackReport("complaint");
            Log.Complaint(logger, complainer, report.OriginalQueueId ?? "-", report.OriginalMessageId ?? "-", session.Remote);
            return SmtpReplies.Queued(queueId);
        }
        catch (Exception exception) when (exception is SpoolUnavailableException or IOException)
        {
            Log.SpoolCommitFailed(logger, queueId, session.Remote, exception.Message);
            return exception is SpoolFullException or IOException ? SmtpReplies.SpoolFull : SmtpReplies.SpoolUnavailable;
        }
    }

    /// <summary>The report as it came, for an operator: <c>SPOOL/feedback/QUEUEID.eml</c>, written and flushed before the 250.</summary>
    private async Task KeepAsync(string queueId, MessageContent body, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(spoolPath, "feedback");
        Directory.CreateDirectory(directory);
        await using var file = new FileStream(Path.Combine(directory, queueId + ".eml"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.WriteThrough);
        using var content = body.OpenRead();
        await content.CopyToAsync(file, cancellationToken);
    }
}
