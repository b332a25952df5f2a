using System.Diagnostics.CodeAnalysis;

namespace MailCluster.Dns.Wire;

/// <summary>Parses whole packets; a malformed one is a false return with the reason, never an exception.</summary>
internal static class DnsMessageParser
{
    private const int HeaderSize = 12;

    // Smallest encodings: root name + type + class (question), plus ttl + rdlength (record).
    private const int MinimumQuestionSize = 5;
    private const int MinimumRecordSize = 11;
    private const ushort ClassInternet = 1;

    public static bool TryParse(ReadOnlySpan<byte> packet, [NotNullWhen(true)] out DnsMessage? message, [NotNullWhen(false)] out string? error)
    {
        try
        {
            message = Parse(packet);
            error = null;
            return true;
        }
        catch (DnsFormatException ex)
        {
            message = null;
            error = ex.Message;
            return false;
        }
    }

    private static DnsMessage Parse(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < HeaderSize)
        {
            throw new DnsFormatException($"packet of {packet.Length} octets is shorter than the {HeaderSize}-octet header");
        }

        // RFC 1035 4.1.1: ID, flags (QR, Opcode, AA, TC, RD, RA, Z, RCODE) and four section counts.
        var reader = new DnsMessageReader(packet);
        var id = reader.ReadUInt16();
        var flags = reader.ReadUInt16();
        int questionCount = reader.ReadUInt16();
        int answerCount = reader.ReadUInt16();
        int authorityCount = reader.ReadUInt16();
        int additionalCount = reader.ReadUInt16();

        reader.EnsureCount(questionCount, MinimumQuestionSize, "question");
        var questions = new List<DnsQuestion>(questionCount);
        for (var i = 0; i < questionCount; i++)
        {
            var name = reader.ReadName();
            var type = (DnsRecordType)reader.ReadUInt16();
            reader.ReadUInt16();
            questions.Add(new DnsQuestion(name, type));
        }

        var answers = ReadSection(ref reader, answerCount, "answer");
        var authorities = ReadSection(ref reader, authorityCount, "authority");
        ReadSection(ref reader, additionalCount, "additional");

        return new DnsMessage(
            id,
            IsResponse: (flags & 0x8000) != 0,
            Opcode: (flags >> 11) & 0xF,
            IsTruncated: (flags & 0x0200) != 0,
            ResponseCode: (DnsResponseCode)(flags & 0xF),
            questions,
            answers,
            authorities);
    }

    private static List<DnsRecord> ReadSection(ref DnsMessageReader reader, int count, string section)
    {
        reader.EnsureCount(count, MinimumRecordSize, section);
        var records = new List<DnsRecord>(count);
        for (var i = 0; i < count; i++)
        {
            if (ReadRecord(ref reader) is { } record)
            {
                records.Add(record);
            }
        }

        return records;
    }

    private static DnsRecord? ReadRecord(ref DnsMessageReader reader)
    {
        // RFC 1035 4.1.3: NAME, TYPE, CLASS, TTL, RDLENGTH, RDATA.
        var name = reader.ReadName();
        var type = (DnsRecordType)reader.ReadUInt16();
        var recordClass = reader.ReadUInt16();
        var rawTtl = reader.ReadUInt32();
        int length = reader.ReadUInt16();
        if (length > reader.Remaining)
        {
            throw new DnsFormatException($"RDLENGTH {length} of {type} record exceeds the {reader.Remaining} octets left");
        }

        // RFC 2181 8: a TTL with the most significant bit set is treated as zero.
        var ttl = rawTtl > int.MaxValue ? 0 : rawTtl;
        var end = reader.Position + length;

        // The OPT pseudo-record (RFC 6891 6.1.2) reuses CLASS as a payload size; it and records of
        // other classes or types are skipped, their RDATA still bounded by RDLENGTH.
        DnsRecord? record = recordClass != ClassInternet ? null : type switch
        {
            DnsRecordType.A => ARecord.Read(ref reader, name, ttl, length),
            DnsRecordType.Aaaa => AaaaRecord.Read(ref reader, name, ttl, length),
            DnsRecordType.Cname => CnameRecord.Read(ref reader, name, ttl),
            DnsRecordType.Mx => MxRecord.Read(ref reader, name, ttl),
            DnsRecordType.Txt => TxtRecord.Read(ref reader, name, ttl, length),
            DnsRecordType.Ptr => PtrRecord.Read(ref reader, name, ttl),
            DnsRecordType.Soa => SoaRecord.Read(ref reader, name, ttl),
            _ => null,
        };

        if (record is null)
        {
            reader.ReadBytes(length);
        }
        else if (reader.Position != end)
        {
            throw new DnsFormatException($"{type} record content does not match its RDLENGTH {length}");
        }

        return record;
    }
}
