using System.Net;
using System.Net.Sockets;
using MailCluster.Dns.Wire;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.Dns;

namespace MailCluster.IntegrationTests.Scenarios;

[Collection(DnsmasqCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DnsAnswerTooLargeForUdpComesOverTcp(DnsmasqFixture dnsmasq)
{
    [Fact]
    public async Task TruncatedOverUdpThenCompleteOverTcp()
    {
        // The same query over plain UDP comes back with TC set, so the full answer must have used TCP.
        var query = new DnsPacketBuilder().WithId(4242).Question("big.test", DnsPacketBuilder.TypeTxt).Opt(1232).Build();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.SendToAsync(query, SocketFlags.None, IPEndPoint.Parse(dnsmasq.Server.Address));
        var buffer = new byte[65_535];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        Assert.True((buffer[2] & 0x02) != 0, $"expected TC in a {received}-octet UDP answer");

        var result = await dnsmasq.Server.Resolver().LookupAsync(new DnsQuestion("big.test", DnsRecordType.Txt), CancellationToken.None);

        Assert.Equal(DnsmasqFixture.BigTxtRecords, result.Records.Count);
        Assert.Equal(DnsmasqFixture.BigTxtRecords * 250, result.Records.OfType<TxtRecord>().Sum(r => r.Text.Length));
    }
}
