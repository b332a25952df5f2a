using System.Buffers.Binary;
using System.Text;

namespace MailCluster.Dns.Wire;

/// <summary>
/// A bounded cursor over one DNS packet. Every read is checked against the packet length and
/// throws <see cref="DnsFormatException"/> instead of reading past it.
/// </summary>
internal ref struct DnsMessageReader(ReadOnlySpan<byte> packet)
{
    // A name has at most 127 labels, so a legitimate name never needs more jumps than this.
    private const int MaxPointerJumps = 64;

    private readonly ReadOnlySpan<byte> _packet = packet;
    private int _position;

    public readonly int Position => _position;

    public readonly int Remaining => _packet.Length - _position;

    public byte ReadByte() => Take(1)[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ReadOnlySpan<byte> ReadBytes(int count) => Take(count);

    /// <summary>Reads RDATA that must be exactly <paramref name="expected"/> octets long.</summary>
    public ReadOnlySpan<byte> ReadExactRdata(int length, int expected) =>
        length == expected
            ? Take(length)
            : throw new DnsFormatException($"RDATA of {length} octets where {expected} are required");

    /// <summary>Fails fast when a section count cannot fit in what is left of the packet.</summary>
    public readonly void EnsureCount(int count, int minimumEntrySize, string section)
    {
        if ((long)count * minimumEntrySize > Remaining)
        {
            throw new DnsFormatException($"{section} count {count} exceeds the {Remaining} octets left in the packet");
        }
    }

    /// <summary>Reads a possibly compressed name (RFC 1035 4.1.4) into presentation form.</summary>
    public string ReadName()
    {
        var name = new StringBuilder();
        var cursor = _position;
        var lowestStart = _position;
        var wireLength = 0;
        var jumps = 0;
        int? resumeAt = null;
        while (true)
        {
            if (cursor >= _packet.Length)
            {
                throw new DnsFormatException($"name at {_position} runs past the end of the packet");
            }

            var length = _packet[cursor];
            switch (length & 0xC0)
            {
                case 0xC0:
                    if (cursor + 1 >= _packet.Length)
                    {
                        throw new DnsFormatException($"compression pointer at {cursor} is cut off");
                    }

                    var target = ((length & 0x3F) << 8) | _packet[cursor + 1];

                    // RFC 1035 4.1.4: a pointer refers to a prior occurrence of a name. Requiring every
                    // jump to land before everything read so far makes loops impossible; the jump cap
                    // bounds the work anyway.
                    if (target >= lowestStart)
                    {
                        throw new DnsFormatException($"compression pointer at {cursor} points forward to {target}");
                    }

                    if (++jumps > MaxPointerJumps)
                    {
                        throw new DnsFormatException($"name at {_position} follows more than {MaxPointerJumps} compression pointers");
                    }

                    resumeAt ??= cursor + 2;
                    cursor = target;
                    lowestStart = target;
                    break;
                case 0x00:
                    // RFC 1035 2.3.4: at most 255 octets including length octets and the root.
                    wireLength += length + 1;
                    if (wireLength > DnsName.MaxNameLength)
                    {
                        throw new DnsFormatException($"name at {_position} is longer than {DnsName.MaxNameLength} octets");
                    }

                    cursor++;
                    if (length == 0)
                    {
                        _position = resumeAt ?? cursor;
                        return name.ToString();
                    }

                    if (cursor + length > _packet.Length)
                    {
                        throw new DnsFormatException($"label at {cursor - 1} runs past the end of the packet");
                    }

                    AppendLabel(name, _packet.Slice(cursor, length));
                    cursor += length;
                    break;
                default:
                    // 0x40 and 0x80 are the extended and reserved label types (RFC 6891 5): as a length
                    // they would exceed the 63-octet label limit.
                    throw new DnsFormatException($"label length octet 0x{length:x2} at {cursor} exceeds {DnsName.MaxLabelLength}");
            }
        }
    }

    // RFC 4343 2.1: compare case-insensitively, so letters are folded here; octets that would be
    // ambiguous in presentation form are escaped as \DDD.
    private static void AppendLabel(StringBuilder name, ReadOnlySpan<byte> label)
    {
        if (name.Length > 0)
        {
            name.Append('.');
        }

        foreach (var octet in label)
        {
            if (octet is <= 0x20 or >= 0x7F or (byte)'.' or (byte)'\\')
            {
                name.Append('\\').Append(octet.ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                name.Append(char.ToLowerInvariant((char)octet));
            }
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new DnsFormatException($"read of {count} octets at {_position} runs past the end of the {_packet.Length}-octet packet");
        }

        var slice = _packet.Slice(_position, count);
        _position += count;
        return slice;
    }
}
