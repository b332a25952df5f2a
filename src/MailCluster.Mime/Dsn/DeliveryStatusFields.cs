using System.Text;
using MailCluster.Mime.Headers;

namespace MailCluster.Mime.Dsn;

/// <summary>Writes the body of the <c>message/delivery-status</c> part (RFC 3464 2.1-2.3).</summary>
internal static class DeliveryStatusFields
{
    public static void Write(StringBuilder output, DeliveryStatusReport report, string reportingMta, bool global)
    {
        // RFC 3464 2.2: per-message fields, then one block per recipient, blocks separated by an empty line.
        HeaderFolding.Append(output, "Reporting-MTA", $"dns; {reportingMta}");
        if (report.OriginalEnvelopeId is { } envelopeId)
        {
            HeaderFolding.Append(output, "Original-Envelope-Id", Text(envelopeId, global));
        }
        HeaderFolding.Append(output, "Arrival-Date", ReceivedHeader.FormatDate(report.ArrivalDate));
        foreach (var recipient in report.Recipients)
        {
            output.Append("\r\n");
            WriteRecipient(output, recipient, global);
        }
    }

    private static void WriteRecipient(StringBuilder output, DsnRecipient recipient, bool global)
    {
        if (recipient.OriginalRecipient is { } original)
        {
            HeaderFolding.Append(output, "Original-Recipient", Text(original, global));
        }
        HeaderFolding.Append(output, "Final-Recipient", Address(recipient.FinalRecipient));
        HeaderFolding.Append(output, "Action", recipient.Action.ToString().ToLowerInvariant());
        HeaderFolding.Append(output, "Status", recipient.Status.ToString());
        if (recipient.RemoteMta is { } remote)
        {
            HeaderFolding.Append(output, "Remote-MTA", $"dns; {remote}");
        }
        if (recipient.DiagnosticCode is { } diagnostic)
        {
            HeaderFolding.Append(output, "Diagnostic-Code", $"smtp; {Text(diagnostic, global)}");
        }
        if (recipient.LastAttemptDate is { } last)
        {
            HeaderFolding.Append(output, "Last-Attempt-Date", ReceivedHeader.FormatDate(last));
        }
        // RFC 3464 2.3.9: Will-Retry-Until belongs only to delayed recipients.
        if (recipient.Action == DsnAction.Delayed && recipient.WillRetryUntil is { } until)
        {
            HeaderFolding.Append(output, "Will-Retry-Until", ReceivedHeader.FormatDate(until));
        }
        // RFC 3464 7: an extension field, X- for private use, after the standard ones.
        if (recipient.Category is { } category)
        {
            HeaderFolding.Append(output, "X-MailCluster-Category", category);
        }
    }

    /// <summary>RFC 3464 2.3.2 <c>rfc822; addr</c>, or RFC 6533 3 <c>utf-8; addr</c> for a non-ASCII address.</summary>
    private static string Address(string address) =>
        Ascii.IsValid(address) ? $"rfc822; {address}" : $"utf-8; {address}";

    /// <summary>Plain delivery-status is US-ASCII (RFC 3464 2.1): other characters become '?' unless the report is global (RFC 6533).</summary>
    internal static string Text(string value, bool global) =>
        global || Ascii.IsValid(value) ? value : string.Concat(value.Select(c => char.IsAscii(c) ? c : '?'));
}
