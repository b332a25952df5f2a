using System.Buffers;
using System.Text;
using MailCluster.Smtp.Client;
using MailCluster.Testing.IO;

namespace MailCluster.Smtp.Tests.Client;

public sealed class ContentNormalizerTests
{
    private const string Smuggling = ".a\r\nb\n.\r\nc\r.\r\n\r\n.\n..d\r";

    private static string Normalize(ReadOnlySequence<byte> content, bool dotStuff)
    {
        var output = new ArrayBufferWriter<byte>();
        var normalizer = new ContentNormalizer(dotStuff);
        foreach (var segment in content)
        {
            normalizer.Write(segment.Span, output);
        }
        normalizer.Complete(output);
        return Encoding.ASCII.GetString(output.WrittenSpan);
    }

    [Theory]
    [InlineData("", ".\r\n")]
    [InlineData("x", "x\r\n.\r\n")]
    [InlineData(".", "..\r\n.\r\n")]
    [InlineData("a\r\n", "a\r\n.\r\n")]
    [InlineData("\r", "\r\n.\r\n")]
    [InlineData(Smuggling, "..a\r\nb\r\n..\r\nc\r\n..\r\n\r\n..\r\n...d\r\n.\r\n")]
    public void DataContentEndsWithCrlfDotCrlfAndHasOnlyCrlfLineEndings(string content, string wire)
    {
        Assert.Equal(wire, Normalize(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(content)), dotStuff: true));
    }

    [Fact]
    public void SplitAtEveryPositionWritesTheSameBytes()
    {
        var bytes = Encoding.ASCII.GetBytes(Smuggling);
        var whole = Normalize(new ReadOnlySequence<byte>(bytes), dotStuff: true);
        for (var split = 1; split < bytes.Length; split++)
        {
            Assert.Equal(whole, Normalize(Segments.Of(bytes[..split], bytes[split..]), dotStuff: true));
        }
    }

    [Fact]
    public void MeasuredSizeIsTheBdatLengthWithoutStuffing()
    {
        var content = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(Smuggling + "\u00e9"));
        var facts = OutboundContent.Measure(content);
        Assert.Equal(Encoding.UTF8.GetByteCount(Normalize(content, dotStuff: false)), facts.Size);
        Assert.True(facts.Has8Bit);
        Assert.False(OutboundContent.Measure(new ReadOnlySequence<byte>("plain\r\n"u8.ToArray())).Has8Bit);
    }
}
