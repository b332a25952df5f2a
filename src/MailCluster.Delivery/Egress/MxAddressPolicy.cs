using System.Net;

namespace MailCluster.Delivery.Egress;

/// <summary>
/// Which MX addresses we may connect to. Internal ranges (loopback, RFC 1918 private, CGNAT,
/// link-local, unique-local, multicast, unspecified) and the IPv6 prefixes that translate to an
/// IPv4 address (NAT64, 6to4, Teredo) are refused unless configured as allowed, so a hostile MX
/// record cannot point delivery at internal services.
/// </summary>
internal sealed class MxAddressPolicy
{
    private static readonly IPNetwork[] s_internal =
    [
        IPNetwork.Parse("0.0.0.0/8"),
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"),
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("224.0.0.0/3"),
        // IPv4-compatible (RFC 4291 2.5.5.1, deprecated) and the unspecified and loopback addresses.
        IPNetwork.Parse("::/96"),
        // Translation prefixes that reach an embedded IPv4 address, internal ones included:
        // NAT64 (RFC 6052 2.1, RFC 8215), SIIT's IPv4-translated form (RFC 7915), 6to4 (RFC 3056), Teredo (RFC 4380).
        IPNetwork.Parse("64:ff9b::/96"),
        IPNetwork.Parse("64:ff9b:1::/48"),
        IPNetwork.Parse("::ffff:0:0:0/96"),
        IPNetwork.Parse("2002::/16"),
        IPNetwork.Parse("2001::/32"),
        // Discard-only (RFC 6666).
        IPNetwork.Parse("100::/64"),
        IPNetwork.Parse("fc00::/7"),
        IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("ff00::/8"),
    ];

    private readonly IReadOnlyList<IPNetwork> _allowed;

    public MxAddressPolicy(IReadOnlyList<IPNetwork> allowed)
    {
        _allowed = allowed;
    }

    public static MxAddressPolicy FromOptions(DeliveryOptions options) => new(
        options.AllowedMxNetworks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(IPNetwork.Parse).ToArray());

    public bool Allows(IPAddress address)
    {
        var candidate = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return _allowed.Any(n => n.Contains(candidate)) || !s_internal.Any(n => n.Contains(candidate));
    }
}
