using System.Buffers;
using System.Text;
using MailCluster.Mime.Headers;
using MailCluster.Testing.IO;

namespace MailCluster.Mime.Tests.Headers;

public sealed class HeaderFieldScannerTests
{
    private const string Pool = "X-MailCluster-Pool";

    /// <summary>
    /// The fields found, as (their octets, their value), after checking that every way of reading
    /// agrees: whole, split at every octet, one octet a segment, and from a stream.
    /// </summary>
    private static List<(string Field, string Value)> Find(string message, string name = Pool)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var key = Encoding.ASCII.GetBytes(name);
        var whole = HeaderFieldScanner.Find(new ReadOnlySequence<byte>(bytes), key);
        for (var split = 1; split < bytes.Length; split++)
        {
            Assert.Equal(whole, HeaderFieldScanner.Find(Segments.Of(bytes[..split], bytes[split..]), key));
        }
        if (bytes.Length > 0)
        {
            Assert.Equal(whole, HeaderFieldScanner.Find(Segments.Of([.. bytes.Select(b => new[] { b })]), key));
        }
        // The stream is read from its start wherever it stands.
        using var stream = new MemoryStream(bytes) { Position = bytes.Length / 2 };
        Assert.Equal(whole, HeaderFieldScanner.Find(stream, key));
        return [.. whole.Select(f => (Encoding.UTF8.GetString(bytes.AsSpan((int)f.Start, (int)(f.End - f.Start))), f.Value))];
    }

    [Fact]
    public void AFieldIsFoundFromItsLineStartThroughItsCrlfWithItsValueTrimmed()
    {
        Assert.Equal(
            [("X-MailCluster-Pool:  bulk \r\n", "bulk")],
            Find("From: a@client.test\r\nX-MailCluster-Pool:  bulk \r\nSubject: s\r\n\r\nbody\r\n"));
    }

    [Fact]
    public void AFoldedFieldIsUnfoldedAndItsRangeTakesEveryContinuationLine()
    {
        // RFC 5322 2.2.3: unfolding removes each CRLF that precedes white space, and keeps the white space.
        Assert.Equal(
            [("X-MailCluster-Pool:\r\n bulk\r\n\t-2\r\n", "bulk\t-2")],
            Find("X-MailCluster-Pool:\r\n bulk\r\n\t-2\r\nFrom: a@client.test\r\n\r\nbody\r\n"));
    }

    [Theory]
    [InlineData("x-mailcluster-POOL: bulk\r\n")]
    [InlineData("X-MailCluster-Pool \t: bulk\r\n")]
    [InlineData("X-MailCluster-Pool:bulk\r\n")]
    public void NamesCompareWithoutCaseAndWhiteSpaceMayStandBeforeTheColon(string field)
    {
        Assert.Equal([(field, "bulk")], Find("From: a@client.test\r\n" + field + "\r\nbody\r\n"));
    }

    [Theory]
    [InlineData("X-MailCluster-Pool-Other: bulk\r\n")]
    [InlineData("X-MailCluster-Poo: bulk\r\n")]
    [InlineData("XX-MailCluster-Pool: bulk\r\n")]
    [InlineData("X-MailCluster-Pool x: bulk\r\n")]
    [InlineData("X-MailCluster-Pool\r\n: bulk\r\n")]
    [InlineData(" X-MailCluster-Pool: bulk\r\n")]
    [InlineData("\rX-MailCluster-Pool: bulk\r\n")]
    public void AnotherNameOrALineThatIsNoFieldStartIsNotTheField(string line)
    {
        Assert.Empty(Find(line + "From: a@client.test\r\n\r\nbody\r\n"));
    }

    [Fact]
    public void TheNameInAnotherFieldsValueOrContinuationOrInTheBodyIsNoField()
    {
        Assert.Empty(Find(
            "Subject: X-MailCluster-Pool: bulk\r\nComments: a\r\n X-MailCluster-Pool: bulk\r\n\r\nX-MailCluster-Pool: bulk\r\n"));
    }

    [Fact]
    public void TheFieldMayBeTheFirstOrTheLastLineOfTheHeaderSection()
    {
        var first = HeaderFieldScanner.Find(new ReadOnlySequence<byte>("X-MailCluster-Pool: a\r\nFrom: b\r\n\r\nx"u8.ToArray()), Encoding.ASCII.GetBytes(Pool));
        Assert.Equal([new HeaderFieldOccurrence(0, 23, "a")], first);
        Assert.Equal([("X-MailCluster-Pool: a\r\n", "a")], Find("From: b\r\nX-MailCluster-Pool: a\r\n\r\nX-MailCluster-Pool: body\r\n"));
    }

    [Theory]
    [InlineData("From: b\r\nX-MailCluster-Pool: a\r\n", "X-MailCluster-Pool: a\r\n")]
    [InlineData("From: b\r\nX-MailCluster-Pool: a", "X-MailCluster-Pool: a")]
    [InlineData("From: b\r\nX-MailCluster-Pool: a\r\n\r", "X-MailCluster-Pool: a\r\n")]
    [InlineData("X-MailCluster-Pool: a\r\n ", "X-MailCluster-Pool: a\r\n ")]
    public void AMessageWithoutAnEmptyLineIsAllHeaderSectionAndItsLastFieldEndsWithIt(string message, string field)
    {
        Assert.Equal([(field, "a")], Find(message));
    }

    [Fact]
    public void EveryOccurrenceIsFoundInOrder()
    {
        Assert.Equal(
            [("X-MailCluster-Pool: a\r\n", "a"), ("x-mailcluster-pool:\r\n b\r\n", "b"), ("X-MailCluster-Pool: a\r\n", "a")],
            Find("X-MailCluster-Pool: a\r\nFrom: c\r\nx-mailcluster-pool:\r\n b\r\nX-MailCluster-Pool: a\r\nTo: d\r\n\r\n"));
    }

    [Fact]
    public void ABareLineFeedOrCarriageReturnEndsNoLine()
    {
        // SMTP refuses both in DATA (RFC 5321 2.3.8); here they are octets of the line they stand in.
        Assert.Empty(Find("From: b\nX-MailCluster-Pool: a\r\n\r\n"));
        Assert.Equal([("X-MailCluster-Pool: a\nb\rc\r\n", "a\nb\rc")], Find("X-MailCluster-Pool: a\nb\rc\r\n\r\n"));
        Assert.Equal([("X-MailCluster-Pool: a\r\n", "a")], Find("X-MailCluster-Pool: a\r\n\rX: y\r\n\r\n"));
    }

    [Fact]
    public void AnEmptyValueIsFoundEmpty()
    {
        Assert.Equal([("X-MailCluster-Pool:\r\n", string.Empty), ("X-MailCluster-Pool: \r\n \r\n", string.Empty)], Find("X-MailCluster-Pool:\r\nX-MailCluster-Pool: \r\n \r\n\r\n"));
    }

    [Fact]
    public void AValueIsCutAtTheLineLimitButItsRangeIsTheWholeField()
    {
        var field = "X-MailCluster-Pool: " + new string('p', 5000) + "\r\n";

        var found = HeaderFieldScanner.Find(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(field + "\r\nbody")), Encoding.ASCII.GetBytes(Pool));

        Assert.Equal(new HeaderFieldOccurrence(0, field.Length, new string('p', HeaderFieldScanner.MaxValueLength - 1)), Assert.Single(found));
    }

    [Fact]
    public void AStreamIsReadOnlyUpToTheEndOfTheHeaderSection()
    {
        var message = Encoding.ASCII.GetBytes("From: a@client.test\r\n\r\n" + new string('x', 100_000));
        using var stream = new MemoryStream(message);

        Assert.Empty(HeaderFieldScanner.Find(stream, Encoding.ASCII.GetBytes(Pool)));

        // One buffer of 4096 octets held the header section; nothing of the body after it was read.
        Assert.Equal(4096, stream.Position);
    }

    [Fact]
    public void AMessageWithoutTheFieldCostsNoAllocation()
    {
        var message = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("From: a@client.test\r\nSubject: hi\r\nX-MailCluster-Poolside: a\r\n\r\nbody\r\n"));
        var name = Encoding.ASCII.GetBytes(Pool);
        HeaderFieldScanner.Find(message, name);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var found = HeaderFieldScanner.Find(message, name);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Empty(found);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData("X-MailCluster-Pool", true)]
    [InlineData("!~", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("X Pool", false)]
    [InlineData("X:Pool", false)]
    [InlineData("X-Pool\t", false)]
    [InlineData("X-P\u00f6ol", false)]
    public void AFieldNameIsPrintableAsciiWithoutAColon(string? name, bool valid)
    {
        Assert.Equal(valid, HeaderFieldScanner.IsFieldName(name));
    }
}
