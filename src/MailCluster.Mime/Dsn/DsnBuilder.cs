using System.Buffers;
using System.Text;
using MailCluster.Mime.Headers;

namespace MailCluster.Mime.Dsn;

/// <summary>
/// Builds a delivery status notification: an RFC 6522 <c>multipart/report; report-type=delivery-status</c>
/// with a human-readable part, the RFC 3464 <c>message/delivery-status</c> part and the original
/// message (RET=FULL) or its header section (otherwise). When an address is non-ASCII the report
/// uses the RFC 6533 global types and must travel with SMTPUTF8.
/// </summary>
public sealed class DsnBuilder
{
    private readonly DsnOptions _options;
    private readonly TimeProvider _time;
    private readonly MessageIdGenerator _ids;

    public DsnBuilder(DsnOptions options, TimeProvider time, MessageIdGenerator ids)
    {
        _options = options;
        _time = time;
        _ids = ids;
    }

    public DsnMessage Build(DeliveryStatusReport report)
    {
        var global = !Ascii.IsValid(report.EnvelopeSender)
            || report.Recipients.Any(r => !Ascii.IsValid(r.FinalRecipient) || (r.OriginalRecipient is { } o && !Ascii.IsValid(o)));
        var original = report.Return == DsnReturnContent.Full ? report.OriginalMessage : HeaderSection.Split(report.OriginalMessage, out _);
        var eightBit = global || Contains8Bit(original);
        var boundary = Boundary(original);

        var text = new StringBuilder(2048);
        WriteHeaders(text, report, boundary, eightBit);
        text.Append("This is a MIME-encapsulated message.\r\n\r\n--").Append(boundary).Append("\r\n");
        text.Append("Content-Type: text/plain; charset=").Append(global ? "utf-8" : "us-ascii").Append("\r\n");
        if (global)
        {
            text.Append("Content-Transfer-Encoding: 8bit\r\n");
        }
        text.Append("Content-Description: Notification\r\n\r\n");
        DsnNotice.Write(text, report, _options.ReportingMta, global);
        text.Append("\r\n--").Append(boundary).Append("\r\n");
        // RFC 6533 3: the UTF-8 form of message/delivery-status.
        text.Append("Content-Type: message/").Append(global ? "global-delivery-status" : "delivery-status").Append("\r\n");
        text.Append("Content-Description: Delivery report\r\n\r\n");
        DeliveryStatusFields.Write(text, report, _options.ReportingMta, global);
        text.Append("\r\n--").Append(boundary).Append("\r\n");
        text.Append("Content-Type: ").Append(OriginalType(report.Return, global)).Append("\r\n");
        if (eightBit)
        {
            text.Append("Content-Transfer-Encoding: 8bit\r\n");
        }
        text.Append("Content-Description: ").Append(report.Return == DsnReturnContent.Full ? "Original message" : "Original message headers").Append("\r\n\r\n");

        var output = new ArrayBufferWriter<byte>(text.Length + (int)original.Length + 64);
        Encoding.UTF8.GetBytes(text.ToString(), output);
        foreach (var segment in original)
        {
            output.Write(segment.Span);
        }
        // RFC 2046 5.1.1: the CRLF before "--boundary" belongs to the delimiter.
        Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n", output);
        return new DsnMessage(output.WrittenSpan.ToArray(), global);
    }

    private void WriteHeaders(StringBuilder text, DeliveryStatusReport report, string boundary, bool eightBit)
    {
        var from = _options.PostmasterAddress ?? $"MAILER-DAEMON@{_options.ReportingMta}";
        HeaderFolding.Append(text, "From", $"Mail Delivery System <{from}>");
        HeaderFolding.Append(text, "To", $"<{report.EnvelopeSender}>");
        HeaderFolding.Append(text, "Subject", Subject(report));
        HeaderFolding.Append(text, "Date", ReceivedHeader.FormatDate(_time.GetUtcNow()));
        HeaderFolding.Append(text, "Message-ID", _ids.Next(_options.ReportingMta));
        text.Append("MIME-Version: 1.0\r\n");
        // RFC 6522 3: report-type names the second part; RFC 2046 5.1.1: the boundary is quoted.
        text.Append("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"").Append(boundary).Append("\"\r\n");
        if (eightBit)
        {
            text.Append("Content-Transfer-Encoding: 8bit\r\n");
        }
        // RFC 3834 5: an automatic reply, so that responders do not answer it.
        text.Append("Auto-Submitted: auto-replied\r\n\r\n");
    }

    private static string Subject(DeliveryStatusReport report) =>
        report.Recipients.Any(r => r.Action == DsnAction.Failed) ? "Undelivered Mail Returned to Sender"
        : report.Recipients.Any(r => r.Action == DsnAction.Delayed) ? "Delayed Mail (still being retried)"
        : "Successful Mail Delivery Report";

    // RFC 3462 / RFC 6522: text/rfc822-headers for headers only; RFC 6532 3.7 and RFC 6533 3: the global forms.
    private static string OriginalType(DsnReturnContent ret, bool global) => (ret, global) switch
    {
        (DsnReturnContent.Full, false) => "message/rfc822",
        (DsnReturnContent.Full, true) => "message/global",
        (_, false) => "text/rfc822-headers",
        (_, true) => "message/global-headers",
    };

    /// <summary>A boundary that does not occur in the returned content (RFC 2046 5.1.1).</summary>
    private string Boundary(ReadOnlySequence<byte> original)
    {
        while (true)
        {
            var boundary = "=_dsn_" + _ids.NextToken();
            var reader = new SequenceReader<byte>(original);
            if (!reader.TryReadTo(out ReadOnlySequence<byte> _, Encoding.ASCII.GetBytes(boundary)))
            {
                return boundary;
            }
        }
    }

    private static bool Contains8Bit(ReadOnlySequence<byte> content)
    {
        foreach (var segment in content)
        {
            if (segment.Span.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0)
            {
                return true;
            }
        }
        return false;
    }
}
