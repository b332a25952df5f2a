using MailCluster.Dns.Wire;
using MailCluster.Testing.Dns;

namespace MailCluster.Dns.Tests.Wire;

public sealed class DnsQueryTests
{
    private static readonly DnsQuery s_query = DnsQuery.Create(0x1234, new DnsQuestion("Example.TEST.", DnsRecordType.Mx), 1232);

    [Fact]
    public void QueryCarriesTheQuestionAndAnEdnsPayloadOf1232()
    {
        var decoded = FakeDnsQuery.Parse(s_query.Packet, overTcp: false, new System.Net.IPEndPoint(0, 0));

        Assert.Equal(((ushort)0x1234, "example.test", DnsPacketBuilder.TypeMx, (ushort?)1232), (decoded.Id, decoded.Name, decoded.Type, decoded.EdnsPayloadSize));
    }

    [Fact]
    public void MatchingResponseIsAccepted()
    {
        Assert.True(s_query.TryAccept(Reply().Build(), out var response));
        Assert.Single(response.Answers);
    }

    [Fact]
    public void ResponseWithAnotherIdIsIgnored() =>
        Assert.False(s_query.TryAccept(Reply().WithId(0x4321).Build(), out _));

    [Fact]
    public void ReplyToAQuestionWeNeverAskedIsIgnored() =>
        Assert.False(s_query.TryAccept(new DnsPacketBuilder().WithId(0x1234).AsResponse().Question("other.test", DnsPacketBuilder.TypeMx).Build(), out _));

    [Fact]
    public void ReplyForAnotherTypeIsIgnored() =>
        Assert.False(s_query.TryAccept(new DnsPacketBuilder().WithId(0x1234).AsResponse().Question("example.test", DnsPacketBuilder.TypeA).Build(), out _));

    [Fact]
    public void QueryEchoedBackWithoutTheResponseBitIsIgnored() =>
        Assert.False(s_query.TryAccept(s_query.Packet, out _));

    [Fact]
    public void MalformedPacketWithTheRightIdIsIgnored() =>
        Assert.False(s_query.TryAccept(Reply().Build().AsSpan(0, 20), out _));

    [Fact]
    public void QuestionNameMatchesCaseInsensitively() =>
        Assert.True(s_query.TryAccept(new DnsPacketBuilder().WithId(0x1234).AsResponse().Question("EXAMPLE.test", DnsPacketBuilder.TypeMx).Build(), out _));

    private static DnsPacketBuilder Reply() =>
        new DnsPacketBuilder().WithId(0x1234).AsResponse().Question("example.test", DnsPacketBuilder.TypeMx).Mx("example.test", 10, "mx.example.test");
}
