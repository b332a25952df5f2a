using System.Buffers;
using System.Text;
using MailCluster.Mime.Headers;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MimeKit;

namespace MailCluster.Mime.Dsn;

/// <summary>
/// Builds a delivery status notification with MimeKit: an RFC 6522 <c>multipart/report;
/// report-type=delivery-status</c> with a human-readable part, the RFC 3464
/// <c>message/delivery-status</c> part and the original message (RET=FULL) or its header section
/// (otherwise). When an address is non-ASCII the report uses the RFC 6533 global types and must
/// travel with SMTPUTF8.
/// </summary>
/// <remarks>
/// The original goes back byte for byte as an opaque part of the right type: a parsed
/// <see cref="MessagePart"/> would read up to a whole maximum-size message again and write back a
/// re-serialisation of it. Readers still see a <see cref="MessagePart"/> or
/// <see cref="TextRfc822Headers"/>. Header fields are folded by <see cref="HeaderFolding"/> and set
/// raw, because MimeKit would RFC 2047-encode them, which RFC 6532 and RFC 3464 2.1 do not allow here.
/// </remarks>
public sealed class DsnBuilder
{
    private static readonly FormatOptions s_crlf = new() { NewLineFormat = NewLineFormat.Dos };

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
        // RFC 3461 4.3: a large original may be returned as its headers only, even under RET=FULL.
        var returned = report.Return == DsnReturn.Full && report.OriginalMessage.Length <= _options.MaxReturnedContent ? DsnReturn.Full : DsnReturn.Headers;
        var original = returned == DsnReturn.Full ? report.OriginalMessage : HeadersWithin(report.OriginalMessage, _options.MaxReturnedContent);
        var eightBit = global || Contains8Bit(original);

        // RFC 6522 3: report-type names the second part.
        var multipart = new MultipartReport("delivery-status") { Boundary = Boundary(original) };
        if (eightBit)
        {
            multipart.Headers.Add(HeaderId.ContentTransferEncoding, "8bit");
        }
        multipart.Add(Notice(report, global));
        multipart.Add(Status(report, global));
        multipart.Add(Original(original, returned, global, eightBit));

        var from = _options.PostmasterAddress ?? $"MAILER-DAEMON@{_options.ReportingMta}";
        using var message = new MimeMessage(
            Raw("From", $"Mail Delivery System <{from}>"),
            Raw("To", $"<{report.EnvelopeSender}>"),
            Raw("Subject", Subject(report)),
            Raw("Date", ReceivedHeader.FormatDate(_time.GetUtcNow())),
            Raw("Message-ID", _ids.Next(_options.ReportingMta)),
            Raw("MIME-Version", "1.0"),
            // RFC 3834 5: an automatic reply, so that responders do not answer it.
            Raw("Auto-Submitted", "auto-replied"),
            multipart);
        using var output = new MemoryStream((int)Math.Min(original.Length + 4096, Array.MaxLength));
        message.WriteTo(s_crlf, output);
        return new DsnMessage(output.ToArray(), global);
    }

    private TextPart Notice(DeliveryStatusReport report, bool global)
    {
        var text = new StringBuilder(1024);
        DsnNotice.Write(text, report, _options.ReportingMta, global);
        var part = new TextPart("plain");
        part.SetText(global ? "utf-8" : "us-ascii", text.ToString());
        if (global)
        {
            part.ContentTransferEncoding = ContentEncoding.EightBit;
        }
        part.Headers.Add(Raw("Content-Description", "Notification"));
        return part;
    }

    private MessageDeliveryStatus Status(DeliveryStatusReport report, bool global)
    {
        var part = new MessageDeliveryStatus();
        if (global)
        {
            // RFC 6533 3: the UTF-8 form of message/delivery-status, whose fields carry raw UTF-8.
            part.ContentType.MediaSubtype = "global-delivery-status";
            part.ContentTransferEncoding = ContentEncoding.EightBit;
        }
        part.Headers.Add(Raw("Content-Description", "Delivery report"));
        var fields = new StringBuilder(512);
        DeliveryStatusFields.Write(fields, report, _options.ReportingMta, global);
        part.Content = new MimeContent(new MemoryStream(Encoding.UTF8.GetBytes(fields.ToString()), writable: false));
        return part;
    }

    private static MimePart Original(ReadOnlySequence<byte> original, DsnReturn ret, bool global, bool eightBit)
    {
        // RFC 3462 / RFC 6522: text/rfc822-headers for headers only; RFC 6532 3.7 and RFC 6533 3: the global forms.
        var (type, subtype) = (ret, global) switch
        {
            (DsnReturn.Full, false) => ("message", "rfc822"),
            (DsnReturn.Full, true) => ("message", "global"),
            (_, false) => ("text", "rfc822-headers"),
            (_, true) => ("message", "global-headers"),
        };
        var part = new MimePart(type, subtype) { Content = new MimeContent(new SequenceStream(original)) };
        if (eightBit)
        {
            part.ContentTransferEncoding = ContentEncoding.EightBit;
        }
        part.Headers.Add(Raw("Content-Description", ret == DsnReturn.Full ? "Original message" : "Original message headers"));
        return part;
    }

    /// <summary>The header section, cut after the last whole field that fits in <paramref name="limit"/> octets.</summary>
    private static ReadOnlySequence<byte> HeadersWithin(ReadOnlySequence<byte> message, long limit)
    {
        var headers = HeaderSection.Split(message, out _);
        if (headers.Length <= limit)
        {
            return headers;
        }
        var reader = new SequenceReader<byte>(headers.Slice(0, limit));
        long end = 0;
        while (reader.TryAdvanceTo((byte)'\n'))
        {
            // A line that does not start with white space begins a new field (RFC 5322 2.2.3).
            if (reader.TryPeek(out var next) && next is not ((byte)' ' or (byte)'\t'))
            {
                end = reader.Consumed;
            }
        }
        return headers.Slice(0, end);
    }

    /// <summary>A field folded by our rules and written byte for byte (UTF-8 stays raw, RFC 6532 3.2).</summary>
    private static Header Raw(string name, string value)
    {
        var header = new Header(name, "-");
        header.SetRawValue(Encoding.UTF8.GetBytes(HeaderFolding.FoldValue(name, value)));
        return header;
    }

    private static string Subject(DeliveryStatusReport report) =>
        report.Recipients.Any(r => r.Action == DsnAction.Failed) ? "Undelivered Mail Returned to Sender"
        : report.Recipients.Any(r => r.Action == DsnAction.Delayed) ? "Delayed Mail (still being retried)"
        : "Successful Mail Delivery Report";

    /// <summary>A boundary that does not occur in the returned content (RFC 2046 5.1.1), which goes back unencoded.</summary>
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
