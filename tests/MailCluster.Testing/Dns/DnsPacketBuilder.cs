using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace MailCluster.Testing.Dns;

/// <summary>
/// Crafts DNS packets byte by byte, including hostile ones: wrong counts, raw names with pointers
/// anywhere, truncation. Sections are written in call order, so add questions, then answers,
/// then authority, then additional records. Offsets for pointers come from <see cref="Offset"/>.
/// </summary>
public sealed class DnsPacketBuilder
{
    public const ushort TypeA = 1;
    public const ushort TypeCname = 5;
    public const ushort TypeSoa = 6;
    public const ushort TypePtr = 12;
    public const ushort TypeMx = 15;
    public const ushort TypeTxt = 16;
    public const ushort TypeAaaa = 28;
    public const int HeaderSize = 12;

    private readonly List<byte> _body = [];
    private readonly ushort[] _counts = new ushort[4];
    private readonly ushort?[] _countOverrides = new ushort?[4];
    private ushort _id;
    private ushort _flags = 0x0100;

    private enum Section
    {
        Question,
        Answer,
        Authority,
        Additional,
    }

    /// <summary>Where the next appended byte will sit in the packet, for compression pointers.</summary>
    public int Offset => HeaderSize + _body.Count;

    /// <summary>A response to <paramref name="query"/>: same ID, QR/RD/RA set and its question echoed.</summary>
    public static DnsPacketBuilder ReplyTo(FakeDnsQuery query) =>
        new DnsPacketBuilder().WithId(query.Id).AsResponse().Question(query.Name, query.Type);

    public DnsPacketBuilder WithId(ushort id)
    {
        _id = id;
        return this;
    }

    /// <summary>Sets QR, RD and RA with the given RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED).</summary>
    public DnsPacketBuilder AsResponse(int rcode = 0, bool truncated = false)
    {
        _flags = (ushort)(0x8180 | (truncated ? 0x0200 : 0) | (rcode & 0xF));
        return this;
    }

    public DnsPacketBuilder WithCounts(ushort? questions = null, ushort? answers = null, ushort? authorities = null, ushort? additionals = null)
    {
        _countOverrides[0] = questions;
        _countOverrides[1] = answers;
        _countOverrides[2] = authorities;
        _countOverrides[3] = additionals;
        return this;
    }

    public DnsPacketBuilder Question(string name, ushort type) => Question(Name(name), type);

    public DnsPacketBuilder Question(byte[] rawName, ushort type)
    {
        _counts[(int)Section.Question]++;
        return Raw(rawName).Raw(U16(type)).Raw(U16(1));
    }

    public DnsPacketBuilder Answer(string name, ushort type, uint ttl, byte[] rdata) => Record(Section.Answer, Name(name), type, ttl, rdata);

    public DnsPacketBuilder Answer(byte[] rawName, ushort type, uint ttl, byte[] rdata) => Record(Section.Answer, rawName, type, ttl, rdata);

    public DnsPacketBuilder Mx(string name, ushort preference, string exchange, uint ttl = 300) =>
        Answer(name, TypeMx, ttl, [.. U16(preference), .. Name(exchange)]);

    public DnsPacketBuilder A(string name, string address, uint ttl = 300) =>
        Answer(name, TypeA, ttl, IPAddress.Parse(address).GetAddressBytes());

    public DnsPacketBuilder Aaaa(string name, string address, uint ttl = 300) =>
        Answer(name, TypeAaaa, ttl, IPAddress.Parse(address).GetAddressBytes());

    public DnsPacketBuilder Cname(string name, string target, uint ttl = 300) => Answer(name, TypeCname, ttl, Name(target));

    public DnsPacketBuilder PtrAnswer(string name, string target, uint ttl = 300) => Answer(name, TypePtr, ttl, Name(target));

    public DnsPacketBuilder Txt(string name, params string[] strings) =>
        Answer(name, TypeTxt, 300, [.. strings.SelectMany(s => (byte[])[(byte)Encoding.UTF8.GetByteCount(s), .. Encoding.UTF8.GetBytes(s)])]);

    /// <summary>An SOA in the authority section, as negative answers carry (RFC 2308 3).</summary>
    public DnsPacketBuilder Soa(string zone, uint minimum, uint ttl = 3600) =>
        Record(Section.Authority, Name(zone), TypeSoa, ttl,
            [.. Name("ns." + zone), .. Name("hostmaster." + zone), .. U32(1), .. U32(7200), .. U32(900), .. U32(1209600), .. U32(minimum)]);

    /// <summary>An EDNS0 OPT pseudo-record in the additional section (RFC 6891 6.1.2).</summary>
    public DnsPacketBuilder Opt(ushort payloadSize = 1232)
    {
        _counts[(int)Section.Additional]++;
        return Raw(0).Raw(U16(41)).Raw(U16(payloadSize)).Raw(U32(0)).Raw(U16(0));
    }

    public DnsPacketBuilder Raw(params byte[] bytes)
    {
        _body.AddRange(bytes);
        return this;
    }

    public byte[] Build()
    {
        var packet = new byte[HeaderSize + _body.Count];
        BinaryPrimitives.WriteUInt16BigEndian(packet, _id);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), _flags);
        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4 + (2 * i)), _countOverrides[i] ?? _counts[i]);
        }

        _body.CopyTo(packet, HeaderSize);
        return packet;
    }

    /// <summary>Uncompressed labels of a dotted name ("" or "." is the root).</summary>
    public static byte[] Name(string name) =>
        [.. name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(label => (byte[])[(byte)label.Length, .. Encoding.ASCII.GetBytes(label)]), 0];

    /// <summary>A compression pointer (RFC 1035 4.1.4) to <paramref name="offset"/>.</summary>
    public static byte[] CompressionPointer(int offset) => U16(unchecked((ushort)(0xC000 | offset)));

    public static byte[] U16(ushort value) => unchecked([(byte)(value >> 8), (byte)value]);

    public static byte[] U32(uint value) => unchecked([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    private DnsPacketBuilder Record(Section section, byte[] rawName, ushort type, uint ttl, byte[] rdata)
    {
        _counts[(int)section]++;
        return Raw(rawName).Raw(U16(type)).Raw(U16(1)).Raw(U32(ttl)).Raw(U16((ushort)rdata.Length)).Raw(rdata);
    }
}
