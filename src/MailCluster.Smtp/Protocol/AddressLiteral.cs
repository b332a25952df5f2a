using System.Net;
using System.Net.Sockets;

namespace MailCluster.Smtp.Protocol;

/// <summary>RFC 5321 4.1.3 address literals: <c>[192.0.2.1]</c> and <c>[IPv6:2001:db8::1]</c> (general literals are not supported).</summary>
public static class AddressLiteral
{
    public static bool TryParse(ReadOnlySpan<char> literal, out IPAddress? address)
    {
        address = null;
        if (literal.Length < 3 || literal[0] != '[' || literal[^1] != ']')
        {
            return false;
        }
        var inner = literal[1..^1];
        if (inner.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.TryParse(inner[5..], out address) && address.AddressFamily == AddressFamily.InterNetworkV6;
        }
        // IPv4-address-literal = Snum 3("." Snum): exactly four dotted decimals.
        return inner.Count('.') == 3 && char.IsAsciiDigit(inner[0])
            && IPAddress.TryParse(inner, out address) && address.AddressFamily == AddressFamily.InterNetwork;
    }
}
