using MailCluster.Dns.Wire;
using MailCluster.Testing.Dns;

namespace MailCluster.Dns.Tests.Wire;

public sealed class DnsMessageParserTests
{
    private const int QuestionOffset = DnsPacketBuilder.HeaderSize;

    [Fact]
    public void ParsesMxAnswerWithCompressedNames()
    {
        var packet = new DnsPacketBuilder().WithId(7).AsResponse()
            .Question("example.test", DnsPacketBuilder.TypeMx)
            .Answer(DnsPacketBuilder.CompressionPointer(QuestionOffset), DnsPacketBuilder.TypeMx, 300,
                [.. DnsPacketBuilder.U16(10), 3, (byte)'m', (byte)'x', (byte)'1', .. DnsPacketBuilder.CompressionPointer(QuestionOffset)])
            .Build();

        var message = Parse(packet);

        var mx = Assert.IsType<MxRecord>(Assert.Single(message.Answers));
        Assert.Equal(("example.test", (ushort)10, "mx1.example.test"), (mx.Name, mx.Preference, mx.Exchange));
        Assert.Equal(new DnsQuestion("EXAMPLE.test.", DnsRecordType.Mx), Assert.Single(message.Questions));
    }

    [Fact]
    public void PointerToItselfIsRejectedAsForward()
    {
        var packet = new DnsPacketBuilder().Question(DnsPacketBuilder.CompressionPointer(QuestionOffset), DnsPacketBuilder.TypeA).Build();

        Assert.Contains("points forward", Reject(packet));
    }

    [Fact]
    public void TwoPointersAtEachOtherAreRejectedNotLooped()
    {
        // Question name at 12 points to 14, which points back to 12.
        var packet = new DnsPacketBuilder().WithCounts(questions: 1)
            .Raw([.. DnsPacketBuilder.CompressionPointer(14), .. DnsPacketBuilder.CompressionPointer(12), 0, 1, 0, 1])
            .Build();

        Assert.Contains("points forward", Reject(packet));
    }

    [Fact]
    public void PointerForwardToAValidNameIsRejected()
    {
        var builder = new DnsPacketBuilder().AsResponse().Question("a.test", DnsPacketBuilder.TypeA);
        var ownerOffset = builder.Offset;
        builder.Answer(DnsPacketBuilder.CompressionPointer(ownerOffset + 30), DnsPacketBuilder.TypeA, 60, [1, 2, 3, 4])
            .Raw(DnsPacketBuilder.Name("later.test"));

        Assert.Contains("points forward", Reject(builder.Build()));
    }

    [Fact]
    public void PointerChainLongerThanTheJumpCapIsRejected()
    {
        // An unknown-type record carries 70 pointers, each to the one before; the next record's owner
        // enters at the end of the chain. Every jump is backwards, so only the cap stops it.
        var builder = new DnsPacketBuilder().AsResponse().Question("a.test", DnsPacketBuilder.TypeA);
        var chainStart = builder.Offset + 2 + 10;
        var chain = new List<byte>(DnsPacketBuilder.CompressionPointer(QuestionOffset));
        for (var i = 1; i < 70; i++)
        {
            chain.AddRange(DnsPacketBuilder.CompressionPointer(chainStart + (2 * (i - 1))));
        }

        builder.Answer(DnsPacketBuilder.CompressionPointer(QuestionOffset), 99, 60, [.. chain])
            .Answer(DnsPacketBuilder.CompressionPointer(chainStart + (2 * 69)), DnsPacketBuilder.TypeA, 60, [1, 2, 3, 4]);

        Assert.Contains("more than 64 compression pointers", Reject(builder.Build()));
    }

    [Fact]
    public void EveryTruncationOfAValidResponseIsRejectedWithoutThrowing()
    {
        var packet = new DnsPacketBuilder().WithId(1).AsResponse()
            .Question("example.test", DnsPacketBuilder.TypeMx)
            .Mx("example.test", 10, "mx.example.test")
            .A("mx.example.test", "192.0.2.1")
            .Soa("example.test", 60)
            .Build();
        Parse(packet);

        for (var length = 0; length < packet.Length; length++)
        {
            Assert.False(DnsMessageParser.TryParse(packet.AsSpan(0, length), out _, out var error), $"cut at {length}");
            Assert.NotNull(error);
        }
    }

    [Theory]
    [InlineData(5, 0, "question count 5")]
    [InlineData(1, 65535, "answer count 65535")]
    public void CountsLargerThanTheDataAreRejected(ushort questions, ushort answers, string expected)
    {
        var packet = new DnsPacketBuilder().AsResponse().Question("a.test", DnsPacketBuilder.TypeA)
            .WithCounts(questions: questions, answers: answers).Build();

        Assert.Contains(expected, Reject(packet));
    }

    [Fact]
    public void LabelLongerThan63IsRejected()
    {
        var packet = new DnsPacketBuilder().Question([64, .. new byte[64], 0], DnsPacketBuilder.TypeA).Build();

        Assert.Contains("exceeds 63", Reject(packet));
    }

    [Fact]
    public void NameLongerThan255IsRejected()
    {
        var label = string.Concat(Enumerable.Repeat("a", 63));
        var packet = new DnsPacketBuilder().Question(string.Join('.', Enumerable.Repeat(label, 5)), DnsPacketBuilder.TypeA).Build();

        Assert.Contains("longer than 255", Reject(packet));
    }

    [Theory]
    [InlineData(DnsPacketBuilder.TypeA, 5)]
    [InlineData(DnsPacketBuilder.TypeAaaa, 4)]
    public void AddressRdataOfTheWrongLengthIsRejected(ushort type, int length)
    {
        var packet = new DnsPacketBuilder().AsResponse().Question("a.test", type).Answer("a.test", type, 60, new byte[length]).Build();

        Assert.Contains("RDATA of", Reject(packet));
    }

    [Fact]
    public void RdlengthPastTheEndIsRejected()
    {
        var packet = new DnsPacketBuilder().AsResponse().Question("a.test", DnsPacketBuilder.TypeA)
            .Raw([.. DnsPacketBuilder.Name("a.test"), 0, 1, 0, 1, 0, 0, 0, 60, 0, 200, 1, 2, 3, 4])
            .WithCounts(answers: 1).Build();

        Assert.Contains("RDLENGTH 200", Reject(packet));
    }

    [Fact]
    public void MxWhoseNameOverrunsItsRdlengthIsRejected()
    {
        var packet = new DnsPacketBuilder().AsResponse().Question("a.test", DnsPacketBuilder.TypeMx)
            .Answer("a.test", DnsPacketBuilder.TypeMx, 60, [0, 10, .. DnsPacketBuilder.Name("mx.a.test")])
            .A("mx.a.test", "192.0.2.1").Build();
        packet[DnsPacketBuilder.HeaderSize + 12 + 8 + 9] = 4; // shrink the MX RDLENGTH below its content

        Assert.False(DnsMessageParser.TryParse(packet, out _, out _));
    }

    [Fact]
    public void TwoHundredMxRecordsParse()
    {
        var builder = new DnsPacketBuilder().AsResponse().Question("big.test", DnsPacketBuilder.TypeMx);
        for (var i = 0; i < 200; i++)
        {
            builder.Answer(DnsPacketBuilder.CompressionPointer(QuestionOffset), DnsPacketBuilder.TypeMx, 300,
                [.. DnsPacketBuilder.U16((ushort)i), .. DnsPacketBuilder.Name($"mx{i}.big.test")]);
        }

        var message = Parse(builder.Build());

        Assert.Equal(200, message.Answers.OfType<MxRecord>().Count());
        Assert.Equal("mx199.big.test", message.Answers.OfType<MxRecord>().Last().Exchange);
    }

    [Theory]
    [InlineData(0u, 0u)]
    [InlineData(3600u, 3600u)]
    [InlineData(0x80000000u, 0u)]
    public void TtlIsReadWithTheTopBitMeaningZero(uint wire, uint expected)
    {
        var packet = new DnsPacketBuilder().AsResponse().Question("a.test", DnsPacketBuilder.TypeA).A("a.test", "192.0.2.1", wire).Build();

        Assert.Equal(expected, Assert.Single(Parse(packet).Answers).Ttl);
    }

    [Fact]
    public void TxtStringsAndUnknownTypesAndOptAreHandled()
    {
        var packet = new DnsPacketBuilder().AsResponse().Question("t.test", DnsPacketBuilder.TypeTxt)
            .Txt("t.test", "v=spf1 ", "-all")
            .Answer("t.test", 99, 60, [1, 2, 3])
            .Opt()
            .Build();

        var txt = Assert.IsType<TxtRecord>(Assert.Single(Parse(packet).Answers));
        Assert.Equal("v=spf1 -all", txt.Text);
    }

    [Fact]
    public void TxtStringRunningPastItsRdataIsRejected()
    {
        var packet = new DnsPacketBuilder().AsResponse().Question("t.test", DnsPacketBuilder.TypeTxt)
            .Answer("t.test", DnsPacketBuilder.TypeTxt, 60, [10, (byte)'a']).A("t.test", "192.0.2.1").Build();

        Assert.Contains("TXT string", Reject(packet));
    }

    [Fact]
    public void OddOctetsInLabelsAreEscapedSoTheyCannotForgeDots()
    {
        var packet = new DnsPacketBuilder().Question([3, (byte)'a', (byte)'.', (byte)'B', 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 0], DnsPacketBuilder.TypeA).Build();

        Assert.Equal(@"a\046b.test", Assert.Single(Parse(packet).Questions).Name);
    }

    [Fact]
    public void SoaInAuthorityGivesTheNegativeTtl()
    {
        var packet = new DnsPacketBuilder().AsResponse(rcode: 3).Question("nx.test", DnsPacketBuilder.TypeA).Soa("test", minimum: 60, ttl: 900).Build();

        var message = Parse(packet);

        Assert.Equal(DnsResponseCode.NameError, message.ResponseCode);
        Assert.Equal(60u, message.Soa!.NegativeTtl);
    }

    private static DnsMessage Parse(byte[] packet)
    {
        Assert.True(DnsMessageParser.TryParse(packet, out var message, out var error), error);
        return message;
    }

    private static string Reject(byte[] packet)
    {
        Assert.False(DnsMessageParser.TryParse(packet, out _, out var error));
        return error;
    }
}
