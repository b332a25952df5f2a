using System.Text;
using MailCluster.Mime.Feedback;
using static MailCluster.Testing.Feedback.ProviderReports;

namespace MailCluster.Mime.Tests.Feedback;

/// <summary>Complaints in the forms providers send them (<see cref="MailCluster.Testing.Feedback.ProviderReports"/> says where each form comes from).</summary>
public sealed class FeedbackReportTests
{
    [Fact]
    public void AYahooReportNamesTheComplainerTheOriginalAndOurQueueId()
    {
        var report = Parse(Yahoo);

        Assert.Equal(
            new FeedbackReport("abuse", "reader@yahoo.example", "bounces@sender.example", "<weekly-49.reader@sender.example>", OurQueueId, "Yahoo!-Mail-Feedback/2.0", "ARF"),
            report);
    }

    [Fact]
    public void AnOutlookJmrpReportNamesTheComplainerFromItsOwnField()
    {
        var report = Parse(Outlook);

        Assert.Equal(
            new FeedbackReport("abuse", "reader@outlook.example", "bounces@sender.example", "<weekly-49.outlook@sender.example>", OurQueueId, null, "JMRP"),
            report);
    }

    [Fact]
    public void ARedactedRecipientFallsBackToOurReceivedFieldsFor()
    {
        // RFC 6590: a provider may redact Original-Rcpt-To; our Received: names the one recipient.
        var redacted = Yahoo.Replace("Original-Rcpt-To: reader@yahoo.example\r\n", "Original-Rcpt-To: xxxxxxxxxx@yahoo.example-redacted\r\n", StringComparison.Ordinal)
            .Replace("To: reader@yahoo.example\r\nSubject", "To: undisclosed-recipients:;\r\nSubject", StringComparison.Ordinal);
        Assert.Equal("xxxxxxxxxx@yahoo.example-redacted", Parse(redacted)!.Recipient);

        var withoutField = Yahoo.Replace("Original-Rcpt-To: reader@yahoo.example\r\n", "", StringComparison.Ordinal);
        Assert.Equal("reader@yahoo.example", Parse(withoutField)!.Recipient);
    }

    [Fact]
    public void AReportWithoutAnyRecipientParsesWithNone()
    {
        var anonymous = Yahoo.Replace("Original-Rcpt-To: reader@yahoo.example\r\n", "", StringComparison.Ordinal)
            .Replace("\tfor <reader@yahoo.example>", "", StringComparison.Ordinal)
            .Replace("To: reader@yahoo.example\r\nSubject", "Subject", StringComparison.Ordinal);

        var report = Parse(anonymous);

        Assert.NotNull(report);
        Assert.Null(report.Recipient);
        Assert.Equal(OurQueueId, report.OriginalQueueId);
    }

    [Theory]
    [InlineData("From: a@b.example\r\nSubject: hello\r\n\r\nJust mail.\r\n")]
    [InlineData("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@b.example\r\nTo: c@d.example\r\n\r\nforwarded, not a report\r\n--x--\r\n")]
    [InlineData("")]
    [InlineData("\u0000\u0001garbage")]
    public void MailThatIsNoReportIsNotTakenForOne(string content) => Assert.Null(Parse(content));

    [Fact]
    public void AReceivedIdThatIsNotOursIsNotTakenForOurQueueId()
    {
        var report = Parse(Outlook.Replace(OurQueueId, "fffffffff11111", StringComparison.Ordinal));

        Assert.Null(report!.OriginalQueueId);
        Assert.Equal("reader@outlook.example", report.Recipient);
    }

    private static FeedbackReport? Parse(string content) =>
        FeedbackReport.Parse(new MemoryStream(Encoding.UTF8.GetBytes(content)), id => id.Length == 20 && id.All(char.IsAsciiLetterOrDigit));
}
