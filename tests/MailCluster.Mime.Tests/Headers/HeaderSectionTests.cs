using System.Buffers;
using System.Text;
using MailCluster.Mime.Headers;
using MailCluster.Testing.IO;

namespace MailCluster.Mime.Tests.Headers;

public sealed class HeaderSectionTests
{
    private static (string Headers, string Body) Split(string message)
    {
        var headers = HeaderSection.Split(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(message)), out var body);
        return (Encoding.ASCII.GetString(headers.ToArray()), Encoding.ASCII.GetString(body.ToArray()));
    }

    [Theory]
    [InlineData("Subject: a\r\nFrom: b\r\n\r\nbody\r\n\r\nmore\r\n", "Subject: a\r\nFrom: b\r\n", "body\r\n\r\nmore\r\n")]
    [InlineData("Subject: a\r\n\r\n", "Subject: a\r\n", "")]
    [InlineData("Subject: a\r\nFrom: b\r\n", "Subject: a\r\nFrom: b\r\n", "")]
    [InlineData("\r\nbody only\r\n", "", "body only\r\n")]
    [InlineData("Subject: folded\r\n\tline\r\n\r\nx", "Subject: folded\r\n\tline\r\n", "x")]
    public void HeaderSectionEndsAtTheFirstEmptyLine(string message, string headers, string body)
    {
        Assert.Equal((headers, body), Split(message));
    }

    [Fact]
    public void EmptyLineSplitAcrossSegmentsIsFound()
    {
        var bytes = Encoding.ASCII.GetBytes("A: 1\r\n\r\nbody");
        for (var split = 1; split < bytes.Length; split++)
        {
            var headers = HeaderSection.Split(Segments.Of(bytes[..split], bytes[split..]), out var body);
            Assert.Equal("A: 1\r\n", Encoding.ASCII.GetString(headers.ToArray()));
            Assert.Equal("body", Encoding.ASCII.GetString(body.ToArray()));
        }
    }
}
