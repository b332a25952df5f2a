namespace MailCluster.Testing.Feedback;

/// <summary>
/// Complaints in the forms providers send them. The Yahoo report follows the fields of a real Yahoo
/// CFL report (User-Agent Yahoo!-Mail-Feedback/2.0, Version 0.1, Received-Date; quoted by a sender
/// processing Yahoo reports forwarded by Amazon SES, 2019) with the original as headers only, as
/// Yahoo sends it since 2022; the Outlook.com one follows Microsoft's JMRP form (a multipart/mixed
/// with the original as message/rfc822 and the complainer in X-HmXmrOriginalRecipient; sample
/// arf-22.eml of the sisimai/set-of-emails collection). Addresses and ids are ours.
/// </summary>
public static class ProviderReports
{
    public const string OurQueueId = "01JEQ3V9K2M4N6P8R0ST";

    private const string OurReceived =
        "Received: from client.example (203.0.113.7)\r\n\tby mta1.sender.example with ESMTP id " + OurQueueId + "\r\n\tfor <reader@yahoo.example>; Sat, 5 Dec 2026 10:00:00 +0000\r\n";

    public static readonly string Yahoo =
        "From: feedback@arf.mail.yahoo.example\r\n" +
        "To: fbl@sender.example\r\n" +
        "Subject: FW: Weekly news\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: multipart/report; report-type=feedback-report; boundary=\"----=_Part_1\"\r\n" +
        "\r\n" +
        "------=_Part_1\r\n" +
        "Content-Type: text/plain; charset=us-ascii\r\n" +
        "\r\n" +
        "This is an email abuse report for an email message from sender.example on Sat, 5 Dec 2026 10:00:00 +0000\r\n" +
        "------=_Part_1\r\n" +
        "Content-Type: message/feedback-report\r\n" +
        "Content-Transfer-Encoding: 7bit\r\n" +
        "Content-Disposition: inline\r\n" +
        "\r\n" +
        "Feedback-Type: abuse\r\n" +
        "User-Agent: Yahoo!-Mail-Feedback/2.0\r\n" +
        "Version: 0.1\r\n" +
        "Original-Mail-From: <bounces@sender.example>\r\n" +
        "Original-Rcpt-To: reader@yahoo.example\r\n" +
        "Received-Date: Sat, 5 Dec 2026 10:00:02 +0000\r\n" +
        "Reported-Domain: sender.example\r\n" +
        "Authentication-Results: authentication result string is not available\r\n" +
        "\r\n" +
        "------=_Part_1\r\n" +
        "Content-Type: text/rfc822-headers\r\n" +
        "Content-Disposition: inline\r\n" +
        "\r\n" +
        "Received: from mta1.sender.example (198.51.100.25) by mx.yahoo.example with ESMTPS; Sat, 5 Dec 2026 10:00:02 +0000\r\n" +
        OurReceived +
        "From: News <news@sender.example>\r\n" +
        "To: reader@yahoo.example\r\n" +
        "Subject: Weekly news\r\n" +
        "Message-ID: <weekly-49.reader@sender.example>\r\n" +
        "\r\n" +
        "------=_Part_1--\r\n";

    public static readonly string Outlook =
        "From: staff@hotmail.example\r\n" +
        "To: fbl@sender.example\r\n" +
        "Subject: complaint about message from 198.51.100.25\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"F0000EEE2-0000-2111\"\r\n" +
        "Message-ID: <report-1@hotmail.example>\r\n" +
        "\r\n" +
        "--F0000EEE2-0000-2111\r\n" +
        "Content-Type: message/rfc822\r\n" +
        "Content-Disposition: inline\r\n" +
        "\r\n" +
        "X-HmXmrOriginalRecipient: <reader@outlook.example>\r\n" +
        "X-Reporter-IP: 192.0.2.22\r\n" +
        "Received: from mta1.sender.example ([198.51.100.25]) by BN1.outlook.example over TLS secured channel; Sat, 5 Dec 2026 10:00:02 +0000\r\n" +
        OurReceived.Replace("\tfor <reader@yahoo.example>", "\tfor <reader@outlook.example>", StringComparison.Ordinal) +
        "Return-Path: bounces@sender.example\r\n" +
        "From: News <news@sender.example>\r\n" +
        "To: reader@outlook.example\r\n" +
        "Subject: Weekly news\r\n" +
        "Message-ID: <weekly-49.outlook@sender.example>\r\n" +
        "Content-Type: text/plain; charset=\"utf-8\"\r\n" +
        "\r\n" +
        "This week...\r\n" +
        "\r\n" +
        "--F0000EEE2-0000-2111--\r\n";

    /// <summary>A report in <paramref name="form"/> (Yahoo or Outlook) about the message <paramref name="queueId"/> to <paramref name="recipient"/>.</summary>
    public static string About(string form, string queueId, string recipient, string messageId) =>
        (form == "Yahoo" ? Yahoo : Outlook)
            .Replace(OurQueueId, queueId, StringComparison.Ordinal)
            .Replace(form == "Yahoo" ? "reader@yahoo.example" : "reader@outlook.example", recipient, StringComparison.Ordinal)
            .Replace(form == "Yahoo" ? "<weekly-49.reader@sender.example>" : "<weekly-49.outlook@sender.example>", messageId, StringComparison.Ordinal);
}
