using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace MailCluster.Dns.Wire;

/// <summary>One query on the wire and the rule for which packet answers it.</summary>
internal sealed class DnsQuery
{
    private const int HeaderSize = 12;

    private DnsQuery(ushort id, DnsQuestion question, byte[] packet)
    {
        Id = id;
        Question = question;
        Packet = packet;
    }

    public ushort Id { get; }

    public DnsQuestion Question { get; }

    public byte[] Packet { get; }

    /// <summary>Encodes a recursive query with an EDNS0 OPT record advertising <paramref name="udpPayloadSize"/>.</summary>
    public static DnsQuery Create(ushort id, DnsQuestion question, int udpPayloadSize)
    {
        var packet = new byte[HeaderSize + question.Name.Length + 2 + 4 + 11];
        var span = packet.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, id);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], 0x0100); // RD: ask for recursion (RFC 1035 4.1.1)
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], 1);      // QDCOUNT
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], 1);     // ARCOUNT: the OPT record
        var offset = HeaderSize + DnsName.Write(span[HeaderSize..], question.Name);
        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], (ushort)question.Type);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], 1); // class IN
        offset += 4;

        // RFC 6891 6.1.2: root owner, TYPE 41, CLASS = requestor's UDP payload size, TTL 0 (no
        // extended RCODE, version 0, no DO bit), empty RDATA.
        span[offset] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 1)..], (ushort)DnsRecordType.Opt);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 3)..], (ushort)udpPayloadSize);
        return new DnsQuery(id, question, packet[..(offset + 11)]);
    }

    /// <summary>
    /// Accepts a packet only if it parses and its ID, QR bit, opcode and question match this query
    /// (RFC 5452 9.1); anything else is ignored by the caller, which keeps waiting.
    /// </summary>
    public bool TryAccept(ReadOnlySpan<byte> packet, [NotNullWhen(true)] out DnsMessage? response)
    {
        response = null;
        if (packet.Length < 2 || BinaryPrimitives.ReadUInt16BigEndian(packet) != Id
            || !DnsMessageParser.TryParse(packet, out var message, out _))
        {
            return false;
        }

        if (!message.IsResponse || message.Opcode != 0 || message.Questions is not [var echoed] || echoed != Question)
        {
            return false;
        }

        response = message;
        return true;
    }
}
