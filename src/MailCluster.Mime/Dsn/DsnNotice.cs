using System.Text;
using MailCluster.Mime.Headers;

namespace MailCluster.Mime.Dsn;

/// <summary>The human-readable first part of a DSN (RFC 6522 3): what happened, and each recipient's reason.</summary>
internal static class DsnNotice
{
    public static void Write(StringBuilder output, DeliveryStatusReport report, string reportingMta, bool global)
    {
        output.Append("This is the mail system at host ").Append(reportingMta).Append(".\r\n\r\n");
        foreach (var group in report.Recipients.GroupBy(r => r.Action))
        {
            output.Append(group.Key switch
            {
                DsnAction.Failed => "Your message could not be delivered to the recipients below. This is a permanent error.\r\n\r\n",
                DsnAction.Delayed => "Your message has not been delivered yet to the recipients below. The mail system will keep trying.\r\n\r\n",
                _ => "Your message was delivered to the recipients below.\r\n\r\n",
            });
            foreach (var recipient in group)
            {
                var reason = recipient.DiagnosticCode is { } d ? DeliveryStatusFields.Text(d, global) : $"status {recipient.Status}";
                var host = recipient.RemoteMta is { } mta ? $"host {mta} said: " : string.Empty;
                HeaderFolding.Append(output, $"<{DeliveryStatusFields.Text(recipient.FinalRecipient, global)}>", host + reason);
                if (recipient.Action == DsnAction.Delayed && recipient.WillRetryUntil is { } until)
                {
                    HeaderFolding.Append(output, "  Will retry until", ReceivedHeader.FormatDate(until));
                }
            }
            output.Append("\r\n");
        }
    }
}
