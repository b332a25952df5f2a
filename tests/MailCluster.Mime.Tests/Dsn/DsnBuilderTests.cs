using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using MailCluster.Mime.Dsn;
using MailCluster.Smtp.Protocol;
using MailCluster.Mime.Headers;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace MailCluster.Mime.Tests.Dsn;

public sealed class DsnBuilderTests
{
    private const string Original = "From: sender@origin.test\r\nSubject: Hello\r\nMessage-ID: <1@origin.test>\r\n\r\nBody line\r\n";
    private static readonly DateTimeOffset s_arrival = new(2026, 5, 1, 8, 0, 0, TimeSpan.Zero);

    private static readonly DsnRecipient s_failed = new("rcpt@dest.test", DsnAction.Failed, new(5, 1, 1))
    {
        RemoteMta = "mx.dest.test",
        DiagnosticCode = "550 5.1.1 No such user",
        LastAttemptDate = s_arrival.AddMinutes(1),
    };

    private static DsnMessage Build(DeliveryStatusReport report, DsnOptions? options = null)
    {
        var time = new FakeTimeProvider(s_arrival.AddHours(1));
        return new DsnBuilder(options ?? new DsnOptions { ReportingMta = "relay.test" }, time, new MessageIdGenerator(time, new Random(7))).Build(report);
    }

    private static DeliveryStatusReport Report(string original = Original, params DsnRecipient[] recipients) =>
        new("sender@origin.test", s_arrival, recipients.Length == 0 ? [s_failed] : recipients, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(original)));

    /// <summary>
    /// The DSN as MimeKit reads it (a multipart/report of three parts), and each part's raw header
    /// lines and content split at the boundary, so that tests check both the structure and the bytes we send.
    /// </summary>
    private static (MimeMessage Message, MultipartReport Report, List<(string Headers, string Body)> Parts) Parse(DsnMessage dsn)
    {
        var text = Encoding.UTF8.GetString(dsn.Content);
        Assert.DoesNotMatch("[^\r]\n|\r[^\n]", text);
        var message = MimeMessage.Load(new MemoryStream(dsn.Content));
        var report = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Equal(3, report.Count);
        var body = "\r\n" + text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        Assert.EndsWith($"\r\n--{report.Boundary}--\r\n", body, StringComparison.Ordinal);
        var boundary = report.Boundary!;
        var parts = body[..^(boundary.Length + 8)].Split($"\r\n--{boundary}\r\n").Skip(1)
            .Select(p => p.Split("\r\n\r\n", 2) is var hb ? (hb[0] + "\r\n", hb[1]) : default)
            .ToList();
        return (message, report, parts);
    }

    private static string HeaderLines(MimeMessage message)
    {
        var crlf = new FormatOptions { NewLineFormat = NewLineFormat.Dos };
        using var headers = new MemoryStream();
        message.Headers.WriteTo(crlf, headers);
        message.Body!.Headers.WriteTo(crlf, headers);
        return Encoding.UTF8.GetString(headers.ToArray());
    }

    [Fact]
    public void FailureReportHasTheThreePartsOfAMultipartReport()
    {
        var dsn = Build(Report());
        var (message, report, parts) = Parse(dsn);
        var headers = HeaderLines(message);

        Assert.Contains("From: Mail Delivery System <MAILER-DAEMON@relay.test>\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("To: <sender@origin.test>\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("Subject: Undelivered Mail Returned to Sender\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("Date: Fri, 01 May 2026 09:00:00 +0000\r\n", headers, StringComparison.Ordinal);
        Assert.Matches("Message-ID: <20260501090000\\.[0-9a-f]{16}@relay\\.test>\r\n", headers);
        Assert.Contains("MIME-Version: 1.0\r\n", headers, StringComparison.Ordinal);
        Assert.Equal("<sender@origin.test>", message.Headers[HeaderId.To]!.Trim());
        Assert.Equal("Undelivered Mail Returned to Sender", message.Subject);
        Assert.Equal("multipart/report", report.ContentType.MimeType);
        Assert.Contains("Auto-Submitted: auto-replied\r\n", headers, StringComparison.Ordinal);
        Assert.False(dsn.RequiresSmtpUtf8);

        Assert.Equal("us-ascii", Assert.IsType<TextPart>(report[0]).ContentType.Charset);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal(2, status.StatusGroups.Count);
        Assert.Equal("dns; relay.test", status.StatusGroups[0]["Reporting-MTA"]);
        Assert.Equal("5.1.1", status.StatusGroups[1]["Status"]);
        Assert.Equal("smtp; 550 5.1.1 No such user", status.StatusGroups[1]["Diagnostic-Code"]);
        Assert.StartsWith("Content-Type: text/plain; charset=us-ascii\r\n", parts[0].Headers, StringComparison.Ordinal);
        Assert.Contains("<rcpt@dest.test>: host mx.dest.test said: 550 5.1.1 No such user", parts[0].Body, StringComparison.Ordinal);
        Assert.StartsWith("Content-Type: message/delivery-status\r\n", parts[1].Headers, StringComparison.Ordinal);
        Assert.Equal(
            "Reporting-MTA: dns; relay.test\r\nArrival-Date: Fri, 01 May 2026 08:00:00 +0000\r\n\r\n"
            + "Final-Recipient: rfc822; rcpt@dest.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.dest.test\r\n"
            + "Diagnostic-Code: smtp; 550 5.1.1 No such user\r\nLast-Attempt-Date: Fri, 01 May 2026 08:01:00 +0000\r\n",
            parts[1].Body);
    }

    [Fact]
    public void WithoutRetFullOnlyTheHeaderSectionGoesBack()
    {
        var (message, report, parts) = Parse(Build(Report()));
        var returned = Assert.IsType<TextRfc822Headers>(report[2]);
        Assert.Equal("Hello", returned.Message!.Subject);
        Assert.StartsWith("Content-Type: text/rfc822-headers\r\n", parts[2].Headers, StringComparison.Ordinal);
        Assert.Equal("From: sender@origin.test\r\nSubject: Hello\r\nMessage-ID: <1@origin.test>\r\n", parts[2].Body);
    }

    [Fact]
    public void RetFullReturnsTheWholeMessage()
    {
        var dsn = Build(Report() with { Return = DsnReturn.Full });
        var (message, report, _) = Parse(dsn);
        var returned = Assert.IsType<MessagePart>(report[2]);
        Assert.Equal("Body line", returned.Message!.TextBody!.TrimEnd());
        // The original goes back byte for byte, after its part's header section.
        Assert.Contains("Content-Type: message/rfc822\r\nContent-Description: Original message\r\n\r\n" + Original, Encoding.UTF8.GetString(dsn.Content), StringComparison.Ordinal);
    }

    [Fact]
    public void EnvelopeIdAndOriginalRecipientAreReported()
    {
        var recipient = s_failed with { OriginalRecipient = "rfc822;alias@origin.test" };
        var (_, _, parts) = Parse(Build(Report(Original, recipient) with { OriginalEnvelopeId = "env-42" }));
        Assert.Contains("Original-Envelope-Id: env-42\r\n", parts[1].Body, StringComparison.Ordinal);
        Assert.Contains("\r\n\r\nOriginal-Recipient: rfc822;alias@origin.test\r\nFinal-Recipient: rfc822; rcpt@dest.test\r\n", parts[1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public void EachRecipientGetsItsOwnBlock()
    {
        var other = new DsnRecipient("other@dest.test", DsnAction.Failed, new(5, 7, 1)) { DiagnosticCode = "554 5.7.1 Policy" };
        var (_, _, parts) = Parse(Build(Report(Original, s_failed, other)));
        var blocks = parts[1].Body.Split("\r\n\r\n");
        Assert.Equal(3, blocks.Length);
        Assert.Contains("Final-Recipient: rfc822; other@dest.test\r\nAction: failed\r\nStatus: 5.7.1\r\nDiagnostic-Code: smtp; 554 5.7.1 Policy", blocks[2], StringComparison.Ordinal);
        Assert.DoesNotContain("Remote-MTA", blocks[2], StringComparison.Ordinal);
    }

    [Fact]
    public void ARecipientsCategoryIsAnExtensionFieldAfterTheStandardOnes()
    {
        var spam = new DsnRecipient("other@dest.test", DsnAction.Failed, new(5, 7, 1)) { DiagnosticCode = "554 5.7.1 blocked using zen.spamhaus.org", Category = "SpamRelated" };

        var (_, _, parts) = Parse(Build(Report(Original, spam)));

        Assert.Contains("Diagnostic-Code: smtp; 554 5.7.1 blocked using zen.spamhaus.org\r\nX-MailCluster-Category: SpamRelated\r\n", parts[1].Body.Split("\r\n\r\n")[1] + "\r\n", StringComparison.Ordinal);
    }

    [Fact]
    public void DelayedReportSaysWhenRetriesEnd()
    {
        var delayed = new DsnRecipient("rcpt@dest.test", DsnAction.Delayed, new(4, 4, 1)) { WillRetryUntil = s_arrival.AddDays(5) };
        var (message, report, parts) = Parse(Build(Report(Original, delayed)));
        Assert.Contains("Subject: Delayed Mail (still being retried)\r\n", HeaderLines(message), StringComparison.Ordinal);
        Assert.Contains("Action: delayed\r\nStatus: 4.4.1\r\nWill-Retry-Until: Wed, 06 May 2026 08:00:00 +0000\r\n", parts[1].Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Will-Retry-Until", Parse(Build(Report(Original, s_failed with { WillRetryUntil = s_arrival }))).Parts[1].Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("From: a@b.test\r\nSubject: no body\r\n")]
    [InlineData("From: a@b.test\r\nSubject: empty body\r\n\r\n")]
    public void MessageWithoutBodyIsReturnedWhole(string original)
    {
        var headersOnly = Parse(Build(Report(original))).Parts[2].Body;
        Assert.Equal(HeaderSectionText(original), headersOnly);
        var full = Build(Report(original) with { Return = DsnReturn.Full });
        Assert.Contains("Content-Description: Original message\r\n\r\n" + original, Encoding.UTF8.GetString(full.Content), StringComparison.Ordinal);
        Parse(full);
    }

    [Fact]
    public void LongDiagnosticIsFoldedAndEveryLineEndsWithCrlfWithinTheLimit()
    {
        var recipient = s_failed with { DiagnosticCode = "550-5.7.1 " + string.Join(' ', Enumerable.Repeat("reason", 300)) + "\n550 5.7.1 " + new string('x', 2000) };
        var dsn = Build(Report(Original, recipient));
        var text = Encoding.UTF8.GetString(dsn.Content);
        Assert.DoesNotMatch("[^\r]\n|\r[^\n]", text);
        Assert.All(text.Split("\r\n"), line => Assert.True(Encoding.UTF8.GetByteCount(line) <= 998, line));
        Assert.Contains("Diagnostic-Code: smtp; 550-5.7.1 reason", text, StringComparison.Ordinal);
    }

    [Fact]
    public void InternationalAddressMakesAGlobalReport()
    {
        var recipient = new DsnRecipient("j\u00f6rg@dest.test", DsnAction.Failed, new(5, 1, 1));
        var dsn = Build(Report(Original, recipient));
        var (message, report, parts) = Parse(dsn);
        Assert.True(dsn.RequiresSmtpUtf8);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal("utf-8; j\u00f6rg@dest.test", status.StatusGroups[1]["Final-Recipient"]);
        Assert.StartsWith("Content-Type: text/plain; charset=utf-8\r\n", parts[0].Headers, StringComparison.Ordinal);
        Assert.StartsWith("Content-Type: message/global-delivery-status\r\n", parts[1].Headers, StringComparison.Ordinal);
        Assert.Contains("Content-Transfer-Encoding: 8bit\r\n", parts[1].Headers, StringComparison.Ordinal);
        Assert.Contains("Final-Recipient: utf-8; j\u00f6rg@dest.test\r\n", parts[1].Body, StringComparison.Ordinal);
        Assert.StartsWith("Content-Type: message/global-headers\r\n", parts[2].Headers, StringComparison.Ordinal);
    }

    [Fact]
    public void PostmasterAddressIsConfigurable()
    {
        var (message, report, _) = Parse(Build(Report(), new DsnOptions { ReportingMta = "relay.test", PostmasterAddress = "postmaster@example.test" }));
        var headers = HeaderLines(message);
        Assert.Contains("From: Mail Delivery System <postmaster@example.test>\r\n", headers, StringComparison.Ordinal);
    }

    private static string HeaderSectionText(string message) =>
        Encoding.ASCII.GetString(HeaderSection.Split(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(message)), out _).ToArray());
}
