using System.Security.Cryptography;
using System.Text;
using MailCluster.Mime.Dkim;

namespace MailCluster.Mime.Tests.Dkim;

public sealed class RelaxedCanonicalizationTests
{
    [Theory]
    // RFC 6376 3.4.6's example.
    [InlineData(" C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n")]
    // An empty body, and one of empty lines only, hash as nothing (RFC 6376 3.4.4, errata 1384).
    [InlineData("", "")]
    [InlineData("\r\n\r\n\r\n", "")]
    [InlineData(" \t\r\n  \r\n", "")]
    // Empty lines inside the body stay; only those at its end go.
    [InlineData("a\r\n\r\n\r\nb\r\n\r\n", "a\r\n\r\n\r\nb\r\n")]
    // A last line without its CRLF gets one; its trailing white space becomes one SP (dkimpy's reading).
    [InlineData("a  b", "a b\r\n")]
    [InlineData("a\r\nb \t", "a\r\nb \r\n")]
    // A CR or LF alone is content, not a line end.
    [InlineData("a\rb\r\n", "a\rb\r\n")]
    [InlineData("a \r b\r\n", "a \r b\r\n")]
    [InlineData("a\nb\r\n", "a\nb\r\n")]
    [InlineData("a\r", "a\r\r\n")]
    [InlineData("x\r\r\n", "x\r\r\n")]
    public void TheBodyHashIsTheHashOfItsRelaxedForm(string body, string canonical)
    {
        var expected = SHA256.HashData(Encoding.ASCII.GetBytes(canonical));

        Assert.Equal(expected, Hash(Encoding.ASCII.GetBytes(body), chunk: int.MaxValue));
        // The octets come in reads of any size: each state carries across a boundary.
        for (var chunk = 1; chunk <= 3; chunk++)
        {
            Assert.Equal(expected, Hash(Encoding.ASCII.GetBytes(body), chunk));
        }
    }

    [Fact]
    public void ALongBodyHashesTheSameWhateverItsReadsAre()
    {
        var body = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 3000).Select(i => $"line {i}  with\t\tspace {new string(' ', i % 5)}\r\n{(i % 7 == 0 ? "\r\n" : string.Empty)}")));

        Assert.Equal(Hash(body, chunk: int.MaxValue), Hash(body, chunk: 4093));
        Assert.Equal(Hash(body, chunk: int.MaxValue), Hash(body, chunk: 1));
    }

    [Theory]
    // RFC 6376 3.4.6's example.
    [InlineData("A: X", "a:X")]
    [InlineData("B : Y\t\r\n\tZ  ", "b:Y Z")]
    [InlineData("Subject:   The \t  news  \r\n   of \r\n\tthe day\t", "subject:The news of the day")]
    [InlineData("X-Empty:", "x-empty:")]
    [InlineData("X-Empty:  \r\n  ", "x-empty:")]
    [InlineData("Message-ID:<1@x.test>", "message-id:<1@x.test>")]
    // Octets above 127 (RFC 6532) pass unchanged; only ASCII letters of the name are lowered.
    [InlineData("SUBJECT: Gr\u00fc\u00dfe", "subject:Gr\u00fc\u00dfe")]
    public void AHeaderFieldIsUnfoldedAndItsWhiteSpaceReduced(string field, string canonical)
    {
        var bytes = Encoding.UTF8.GetBytes(field);
        var destination = new byte[RelaxedHeader.MaxLength(bytes.Length)];

        var withoutEnd = RelaxedHeader.Write(bytes, destination, lineEnd: false);
        Assert.Equal(canonical, Encoding.UTF8.GetString(destination, 0, withoutEnd));
        var withEnd = RelaxedHeader.Write(bytes, destination, lineEnd: true);
        Assert.Equal(canonical + "\r\n", Encoding.UTF8.GetString(destination, 0, withEnd));
    }

    [Fact]
    public void TheHeaderSectionIsCutIntoFieldsWithTheirFoldingAndTheBodyHashedAfterTheEmptyLine()
    {
        const string Message = "From: a@x.test\r\nSubject: one\r\n two\r\nTo : b@y.test\r\n\r\nBody\r\n";

        var fields = Read(Message, chunk: 5)!;

        Assert.Equal(3, fields.Count);
        Assert.Equal("Subject: one\r\n two", Encoding.ASCII.GetString(fields.Field(1)));
        Assert.True(fields.IsNamed(2, "to"));
        Assert.True(fields.IsNamed(0, "FROM"));
        Assert.False(fields.IsNamed(1, "subjec"));
        Assert.Equal(SHA256.HashData("Body\r\n"u8), fields.BodyHash);
    }

    [Theory]
    // The empty line ends the header section at every read boundary.
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void TheEndOfTheHeaderSectionIsFoundAcrossReads(int chunk)
    {
        var fields = Read("A: 1\r\n\r\n\r\nB: not a field\r\n", chunk)!;

        Assert.Equal(1, fields.Count);
        Assert.Equal(SHA256.HashData("\r\nB: not a field\r\n"u8), fields.BodyHash);
    }

    [Fact]
    public void AMessageWithoutAnEmptyLineIsAllHeaderAndOneWithoutFieldsAllBody()
    {
        var headerOnly = Read("A: 1\r\nB: 2\r\n", chunk: 3)!;
        var bodyOnly = Read("\r\nText\r\n", chunk: 1)!;

        Assert.Equal(2, headerOnly.Count);
        Assert.Equal(SHA256.HashData([]), headerOnly.BodyHash);
        Assert.Equal(0, bodyOnly.Count);
        Assert.Equal(SHA256.HashData("Text\r\n"u8), bodyOnly.BodyHash);
    }

    [Theory]
    [InlineData("No colon here\r\nFrom: a@x.test\r\n\r\nb\r\n")]
    [InlineData(" folded: first\r\nFrom: a@x.test\r\n\r\nb\r\n")]
    [InlineData(": no name\r\n\r\nb\r\n")]
    public void AHeaderSectionThatIsNotAListOfFieldsIsRefused(string message) => Assert.Null(Read(message, chunk: 7));

    [Fact]
    public void AHeaderSectionLongerThanTheBoundIsNotReadWhole()
    {
        var field = "X-Filler: " + new string('x', 900) + "\r\n";
        var fields = string.Concat(Enumerable.Repeat(field, RawHeaderFields.MaxSectionBytes / field.Length + 1));

        Assert.Null(Read(fields + "\r\nbody\r\n", chunk: 16 * 1024));
        // Without an empty line at all, reading stops at the bound too.
        Assert.Null(Read(fields + fields, chunk: 16 * 1024));
        Assert.NotNull(Read(field + "\r\nbody\r\n", chunk: 16 * 1024));
    }

    private static byte[] Hash(byte[] body, int chunk)
    {
        using var hash = new RelaxedBodyHash();
        for (var i = 0; i < body.Length; i += chunk)
        {
            hash.Append(body.AsSpan(i, Math.Min(chunk, body.Length - i)));
        }
        return hash.Finish();
    }

    private static RawHeaderFields? Read(string message, int chunk) => RawHeaderFields.Read(new TrickleStream(Encoding.ASCII.GetBytes(message), chunk));

    /// <summary>A seekable stream that answers each read with at most <paramref name="chunk"/> octets, as a socket or a file may.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(chunk, buffer.Length)]);

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(chunk, count));
    }
}
