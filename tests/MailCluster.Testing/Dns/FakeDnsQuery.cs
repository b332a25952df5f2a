using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace MailCluster.Testing.Dns;

/// <summary>A query the fake server received, decoded just enough to script a reply.</summary>
public sealed record FakeDnsQuery(ushort Id, string Name, ushort Type, bool OverTcp, IPEndPoint Client, ushort? EdnsPayloadSize)
{
    /// <summary>Decodes an uncompressed single-question query, as a stub resolver sends.</summary>
    public static FakeDnsQuery Parse(ReadOnlySpan<byte> packet, bool overTcp, IPEndPoint client)
    {
        var id = BinaryPrimitives.ReadUInt16BigEndian(packet);
        var additionalCount = BinaryPrimitives.ReadUInt16BigEndian(packet[10..]);
        var offset = DnsPacketBuilder.HeaderSize;
        var labels = new List<string>();
        while (packet[offset] != 0)
        {
            labels.Add(Encoding.ASCII.GetString(packet.Slice(offset + 1, packet[offset])));
            offset += packet[offset] + 1;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 1)..]);
        offset += 5;

        // RFC 6891 6.1.2: the OPT record's CLASS carries the advertised UDP payload size.
        ushort? payload = additionalCount > 0 && packet.Length >= offset + 11 && packet[offset] == 0
            ? BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 3)..])
            : null;
        return new FakeDnsQuery(id, string.Join('.', labels), type, overTcp, client, payload);
    }
}
