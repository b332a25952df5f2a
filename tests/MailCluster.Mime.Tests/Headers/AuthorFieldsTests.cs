using System.Buffers;
using System.Text;
using MailCluster.Mime.Headers;

namespace MailCluster.Mime.Tests.Headers;

public sealed class AuthorFieldsTests
{
    [Theory]
    [InlineData("From: a@x.test\r\nSubject: s\r\n\r\nbody\r\n", 1)]
    [InlineData("Received: by x\r\nfrom: a@x.test\r\nFROM : b@y.test\r\n\r\n", 2)]
    [InlineData("Subject: s\r\n\r\nFrom: in the body\r\n", 0)]
    [InlineData("Subject: s\r\n from: folded, not a field\r\n\r\n", 0)]
    [InlineData("Fromage: brie\r\nX-From: a\r\n\r\n", 0)]
    [InlineData("From:a@x.test\r\nFrom:\r\n b@y.test\r\n\r\n", 2)]
    [InlineData("\r\nFrom: after the empty line\r\n", 0)]
    [InlineData("From: no body, no empty line\r\n", 1)]
    public void FromFieldsAreCountedInTheHeaderSectionOnlyAsAFullParseCountsThem(string message, int fields)
    {
        var bytes = Encoding.ASCII.GetBytes(message);
        using var stream = new MemoryStream(bytes);

        Assert.Equal(fields, AuthorFields.CountFrom(stream).FromFieldCount);
        Assert.Equal(fields, AuthorFields.Read(new ReadOnlySequence<byte>(bytes)).FromFieldCount);
    }

    [Fact]
    public void AnEncodedWordIsNotDecodedIntoAnotherMailbox()
    {
        var message = "From: =?utf-8?q?me=40mine=2Etest_=28?= <victim@other.test> =?utf-8?q?=29?=\r\n\r\n";

        var authors = AuthorFields.Read(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(message)));

        // What a signer and a receiver see: the victim's domain (and a stray empty one, which no user owns); never mine.test.
        Assert.Contains("other.test", authors.Domains);
        Assert.DoesNotContain("mine.test", authors.Domains);
        Assert.Equal("other.test", authors.SigningDomain);
    }
}
