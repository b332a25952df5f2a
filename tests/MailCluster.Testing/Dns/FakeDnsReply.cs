namespace MailCluster.Testing.Dns;

/// <summary>One packet the fake server sends back; <see cref="FromOtherPort"/> sends it from a second socket, as a spoofer would.</summary>
public sealed record FakeDnsReply(byte[] Packet, bool FromOtherPort = false)
{
    public static implicit operator FakeDnsReply(byte[] packet) => new(packet);

    public static FakeDnsReply FromPacket(byte[] packet) => new(packet);
}
