using System.Text.RegularExpressions;
using MimeKit;

namespace MailCluster.Mime.Feedback;

/// <summary>
/// A feedback-loop complaint as mailbox providers send them: an RFC 5965 Abuse Reporting Format
/// report (multipart/report with a message/feedback-report part and the original as message/rfc822
/// or text/rfc822-headers), or Microsoft's JMRP form (the original as message/rfc822, the complainer
/// in its X-HmXmrOriginalRecipient field). What ties it to our mail is in the original: its
/// Message-ID and our queue id in the Received: field we wrote (RFC 5321 4.4 "id").
/// </summary>
/// <param name="Recipient">The complainer: Original-Rcpt-To (RFC 5965 3.2), else JMRP's field, else our Received: "for" (one recipient), else a single To:; null when the provider redacted it (RFC 6590).</param>
public sealed partial record FeedbackReport(
    string FeedbackType, string? Recipient, string? OriginalSender, string? OriginalMessageId, string? OriginalQueueId, string? UserAgent, string Format)
{
    /// <summary>Reads a report; null when the message is neither ARF nor JMRP (or cannot be parsed as MIME at all).</summary>
    /// <param name="isQueueId">Whether a Received: field's id is one of ours.</param>
    public static FeedbackReport? Parse(Stream content, Func<string, bool> isQueueId)
    {
        MimeMessage message;
        try
        {
            message = MimeMessage.Load(content);
        }
        catch (FormatException)
        {
            return null;
        }
        var report = message.BodyParts.OfType<MessageFeedbackReport>().FirstOrDefault();
        var original = message.BodyParts.OfType<MessagePart>().Select(p => p.Message).FirstOrDefault(m => m is not null);
        var jmrpRecipient = original?.Headers[JmrpRecipientField];
        if (report is null && jmrpRecipient is null)
        {
            return null;
        }
        var queueId = original is null ? null : OurReceived(original, isQueueId);
        return new FeedbackReport(
            Field(report, "Feedback-Type") ?? "abuse",
            Address(Field(report, "Original-Rcpt-To")) ?? Address(jmrpRecipient) ?? queueId?.For ?? SingleTo(original),
            Address(Field(report, "Original-Mail-From")) ?? Address(original?.Headers[HeaderId.ReturnPath]),
            original?.MessageId is { Length: > 0 } id ? $"<{id}>" : null,
            queueId?.Id,
            Field(report, "User-Agent"),
            report is null ? "JMRP" : "ARF");
    }

    private const string JmrpRecipientField = "X-HmXmrOriginalRecipient";

    private static string? Field(MessageFeedbackReport? report, string name) => report?.Fields[name]?.Trim() is { Length: > 0 } value ? value : null;

    /// <summary>An address without its angle brackets (RFC 5965 3.2 allows both, "rfc822;" types too).</summary>
    private static string? Address(string? value)
    {
        if (value is null)
        {
            return null;
        }
        var address = value.Trim();
        if (address.StartsWith("rfc822;", StringComparison.OrdinalIgnoreCase))
        {
            address = address["rfc822;".Length..].Trim();
        }
        address = address.Trim('<', '>', ' ');
        return address.Contains('@', StringComparison.Ordinal) ? address : null;
    }

    /// <summary>The first Received: field, from the top, whose id is one of our queue ids, and its "for" recipient when it names one.</summary>
    private static (string Id, string? For)? OurReceived(MimeMessage original, Func<string, bool> isQueueId)
    {
        foreach (var field in original.Headers.Where(h => h.Id == HeaderId.Received))
        {
            var match = ReceivedId().Match(field.Value);
            if (match.Success && isQueueId(match.Groups["id"].Value))
            {
                return (match.Groups["id"].Value, match.Groups["for"].Success ? Address(match.Groups["for"].Value) : null);
            }
        }
        return null;
    }

    private static string? SingleTo(MimeMessage? original) =>
        original?.To.Mailboxes.ToList() is [var only] ? only.Address : null;

    // RFC 5321 4.4: "... id String [for Path] ; date-time".
    [GeneratedRegex(@"\bid\s+(?<id>[A-Za-z0-9]+)(\s+for\s+(?<for><[^>]*>))?", RegexOptions.IgnoreCase)]
    private static partial Regex ReceivedId();
}
