using System.Buffers;
using System.Text;
using MailCluster.Mime.Headers;

namespace MailCluster.Mime.Tests.Headers;

public sealed class ReceivedHeaderTests
{
    private static readonly DateTimeOffset s_when = new(2026, 11, 23, 0, 36, 14, TimeSpan.Zero);

    private static string Write(ReceivedInfo info)
    {
        var output = new ArrayBufferWriter<byte>();
        ReceivedHeader.Write(output, info);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Fact]
    public void HeaderHasTheRfc5321Clauses()
    {
        var header = Write(new ReceivedInfo("client.test", "192.0.2.7", "mx.test", "ESMTPS", "Q1", "bob@dest.test", "TLSv1.3", s_when));
        Assert.Equal(
            "Received: from client.test ([192.0.2.7])\r\n\tby mx.test (MailCluster) with ESMTPS (TLSv1.3) id Q1\r\n\tfor <bob@dest.test>;\r\n\tMon, 23 Nov 2026 00:36:14 +0000\r\n",
            header);
    }

    [Fact]
    public void SeveralRecipientsAreNotDisclosed()
    {
        var header = Write(new ReceivedInfo("client.test", "::1", "mx.test", "ESMTP", "Q2", null, null, s_when));
        Assert.DoesNotContain("for <", header, StringComparison.Ordinal);
        Assert.Contains("with ESMTP id Q2;", header, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientChosenNameCannotBreakTheHeaderStructure()
    {
        var header = Write(new ReceivedInfo("evil(name);\u0007x", "192.0.2.7", "mx.test", "SMTP", "Q3", null, null, s_when));
        Assert.StartsWith("Received: from evil?name???x ([192.0.2.7])", header, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "+0000")]
    [InlineData(-300, "-0500")]
    [InlineData(330, "+0530")]
    public void DateUsesRfc5322NumericZones(int offsetMinutes, string zone)
    {
        var date = ReceivedHeader.FormatDate(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromMinutes(offsetMinutes)));
        Assert.Equal($"Fri, 02 Jan 2026 03:04:05 {zone}", date);
    }
}
