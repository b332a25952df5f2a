using System.Buffers;
using System.Text;
using MailCluster.Smtp.Server;
using MailCluster.Testing.IO;

namespace MailCluster.Smtp.Tests.Server;

public sealed class MessageContentTests : IDisposable
{
    private const string Message = "From: a@client.test\r\nX-Pool: bulk\r\nSubject: hi\r\nX-Pool: b\r\n\r\nbody\r\n";

    private static readonly (long Start, long End)[] s_poolFields = [(21, 35), (48, 59)];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private MessageContent InFile(string text)
    {
        var path = Path.Combine(_directory.Path, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, text);
        return MessageContent.InFile(path, text.Length);
    }

    private static MessageContent InMemory(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        // Several segments, as the session's buffer holds them.
        var third = bytes.Length / 3;
        return MessageContent.Of(Segments.Of(bytes[..third], bytes[third..(2 * third)], bytes[(2 * third)..]));
    }

    /// <summary>Everything the stream yields, read twice: to the end, and again after going back to the start.</summary>
    private static string ReadTwice(MessageContent content)
    {
        using var stream = content.OpenRead();
        var first = new StreamReader(stream, Encoding.ASCII, false, 7, leaveOpen: true).ReadToEnd();
        stream.Position = 0;
        var buffer = new byte[stream.Length];
        stream.ReadExactly(buffer);
        Assert.Equal(first, Encoding.ASCII.GetString(buffer));
        Assert.Equal(0, stream.Read(new byte[1]));
        return first;
    }

    [Fact]
    public void ContentInMemoryWithoutSomeRangesIsANewChainOverTheSameSegments()
    {
        var original = InMemory(Message);

        var kept = original.Without(s_poolFields);

        var expected = "From: a@client.test\r\nSubject: hi\r\n\r\nbody\r\n";
        Assert.Equal(expected.Length, kept.Length);
        Assert.Equal(expected, Encoding.ASCII.GetString(kept.InMemory!.Value.ToArray()));
        Assert.Equal(expected, ReadTwice(kept));
        Assert.Equal(Message, ReadTwice(original));
    }

    [Fact]
    public void ContentInAFileWithoutSomeRangesIsReadFromTheFileSkippingThem()
    {
        var original = InFile(Message);

        var kept = original.Without(s_poolFields);

        var expected = "From: a@client.test\r\nSubject: hi\r\n\r\nbody\r\n";
        Assert.Null(kept.InMemory);
        Assert.Equal(expected.Length, kept.Length);
        Assert.Equal(expected, ReadTwice(kept));
        using var stream = kept.OpenRead();
        Assert.Equal((expected.Length, true, false), (stream.Length, stream.CanSeek, stream.CanWrite));
    }

    [Fact]
    public void ALargeFileIsReadAcrossItsRangesFromAnyPosition()
    {
        var body = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i:D9}\r\n"));
        var text = "X-Pool: bulk\r\nFrom: a@client.test\r\n\r\n" + body;
        var content = InFile(text).Without([(0, 14), (100_000, 100_011)]);
        var expected = text[14..100_000] + text[100_011..];

        Assert.Equal(expected, ReadTwice(content));
        using var stream = content.OpenRead();
        stream.Seek(-5, SeekOrigin.End);
        Assert.Equal(expected[^5..], new StreamReader(stream).ReadToEnd());
        // Just before the second range taken out, then across it.
        stream.Position = 100_000 - 14 - 3;
        var across = new byte[6];
        stream.ReadExactly(across);
        Assert.Equal(expected.Substring(100_000 - 14 - 3, 6), Encoding.ASCII.GetString(across));
    }

    [Fact]
    public void RangesAtTheEndsOrNoneAtAllLeaveTheRest()
    {
        Assert.Equal("rom", ReadTwice(InMemory("From: a\r\n").Without([(0, 1), (4, 9)])));
        Assert.Equal("rom", ReadTwice(InFile("From: a\r\n").Without([(0, 1), (4, 9)])));
        Assert.Equal(string.Empty, ReadTwice(InFile("From: a\r\n").Without([(0, 9)])));
        var content = InMemory(Message);
        Assert.Same(content, content.Without([]));
    }

    [Fact]
    public void AViewOfAFilesViewTakesItsRangesFromTheView()
    {
        var content = InFile("0123456789").Without([(2, 4)]).Without([(0, 1), (5, 6)]);

        // 01456789 without its first octet and its sixth.
        Assert.Equal("145689", ReadTwice(content));
    }

    [Theory]
    [InlineData(5, 3)]
    [InlineData(0, 100)]
    public void RangesOutOfOrderOrPastTheEndAreRefused(long start, long end)
    {
        Assert.Throws<ArgumentException>(() => InMemory(Message).Without([(10, 12), (start, end)]));
    }

    [Fact]
    public void JoinedSequencesKeepTheirOrderAndLeaveOutEmptyParts()
    {
        var joined = SequenceChain.Join(ReadOnlySequence<byte>.Empty, new("ab"u8.ToArray()), Segments.Of("c"u8.ToArray(), "de"u8.ToArray()), ReadOnlySequence<byte>.Empty);

        Assert.Equal("abcde", Encoding.ASCII.GetString(joined.ToArray()));
        Assert.Equal(3, CountSegments(joined));
        Assert.True(SequenceChain.Join(ReadOnlySequence<byte>.Empty).IsEmpty);
    }

    private static int CountSegments(ReadOnlySequence<byte> sequence)
    {
        var count = 0;
        foreach (var _ in sequence)
        {
            count++;
        }
        return count;
    }
}
