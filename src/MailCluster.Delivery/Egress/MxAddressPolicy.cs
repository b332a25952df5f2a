using System.Net;

namespace MailCluster.Delivery.Egress;

/// <summary>
/// Which MX addresses we may connect to. Internal ranges (loopback, RFC 1918 private, CGNAT,
/// link-local, unique-local, multicast, unspecified) are refused unless configured as allowed, so
/// a hostile MX record cannot point delivery at internal services.
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
        IPNetwork.Parse("::/127"),
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
