using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MailCluster.Delivery.Egress;

/// <summary>
/// The client side of a SOCKS5 CONNECT (RFC 1928) on a stream already connected to the proxy, so an
/// egress connection leaves from the proxy's address. Offers only "no authentication", and reads
/// exactly the proxy's replies and nothing more: the SMTP session follows on the same stream.
/// </summary>
internal static class Socks5Handshake
{
    private const byte Version = 5;
    private const byte NoAuthentication = 0;
    private const byte Connect = 1;
    private const byte IPv4 = 1;
    private const byte DomainName = 3;
    private const byte IPv6 = 4;

    // RFC 1928 section 6: the reply field's codes, 0 to 8; the rest are unassigned.
    private static readonly string[] s_replies =
    [
        "succeeded", "general SOCKS server failure", "connection not allowed by ruleset", "network unreachable",
        "host unreachable", "connection refused", "TTL expired", "command not supported", "address type not supported",
    ];

    /// <summary>Asks the proxy to connect to <paramref name="target"/>:<paramref name="port"/>; returns once it has.</summary>
    /// <exception cref="Socks5Exception">The proxy refused, broke the protocol, or the connection to it failed.</exception>
    public static async Task ConnectAsync(Stream proxy, IPAddress target, int port, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        // A mapped IPv4 address goes as IPv4: the proxy's way out may have no IPv6 at all.
        target = target.IsIPv4MappedToIPv6 ? target.MapToIPv4() : target;
        var destination = new IPEndPoint(target, port).ToString();

        // RFC 1928 section 3: VER, NMETHODS, METHODS; the answer is VER, METHOD.
        await SendAsync(proxy, [Version, 1, NoAuthentication], "the greeting", cancellationToken);
        var selection = await ReceiveAsync(proxy, 2, "its method selection", cancellationToken);
        if (selection[0] != Version)
        {
            throw new Socks5Exception($"SOCKS5 proxy answered the greeting with version {selection[0]}, not 5: is it a SOCKS5 proxy?");
        }
        if (selection[1] != NoAuthentication)
        {
            throw new Socks5Exception(selection[1] == 0xFF
                ? "SOCKS5 proxy accepts none of the offered authentication methods (only \"no authentication\" is offered)"
                : $"SOCKS5 proxy chose authentication method 0x{selection[1]:X2}, which was not offered (only 0x00, \"no authentication\")");
        }

        // RFC 1928 section 4: VER, CMD, RSV, ATYP, DST.ADDR, DST.PORT in network octet order.
        var address = target.GetAddressBytes();
        var request = new byte[6 + address.Length];
        (request[0], request[1], request[2], request[3]) = (Version, Connect, 0, target.AddressFamily == AddressFamily.InterNetwork ? IPv4 : IPv6);
        address.CopyTo(request, 4);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4 + address.Length), (ushort)port);
        await SendAsync(proxy, request, $"CONNECT to {destination}", cancellationToken);

        // RFC 1928 section 6: VER, REP, RSV, ATYP, BND.ADDR, BND.PORT. VER and REP are read alone, so a
        // refusal cut short after them is still reported as the refusal; RSV is not checked (be liberal).
        var what = $"its reply to CONNECT to {destination}";
        var reply = await ReceiveAsync(proxy, 2, what, cancellationToken);
        if (reply[0] != Version)
        {
            throw new Socks5Exception($"SOCKS5 proxy answered CONNECT to {destination} with version {reply[0]}, not 5");
        }
        if (reply[1] != 0)
        {
            throw new Socks5Exception($"SOCKS5 proxy refused CONNECT to {destination}: {(reply[1] < s_replies.Length ? s_replies[reply[1]] : "unassigned reply code")} (REP {reply[1]})", reply: reply[1]);
        }
        var type = (await ReceiveAsync(proxy, 2, what, cancellationToken))[1];
        var length = type switch
        {
            IPv4 => 4,
            IPv6 => 16,
            // RFC 1928 section 5: a domain name is one length octet, then the name.
            DomainName => (await ReceiveAsync(proxy, 1, what, cancellationToken))[0],
            _ => throw new Socks5Exception($"SOCKS5 proxy answered CONNECT to {destination} with unknown address type {type} (ATYP)"),
        };
        // BND.ADDR and BND.PORT are not needed; reading them leaves the stream at the target's first byte.
        await ReceiveAsync(proxy, length + 2, what, cancellationToken);
    }

    private static async Task SendAsync(Stream proxy, byte[] bytes, string what, CancellationToken cancellationToken)
    {
        try
        {
            await proxy.WriteAsync(bytes, cancellationToken);
            await proxy.FlushAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            throw new Socks5Exception($"SOCKS5 proxy connection failed while sending {what}: {ex.Message}", ex);
        }
    }

    private static async Task<byte[]> ReceiveAsync(Stream proxy, int count, string what, CancellationToken cancellationToken)
    {
        var bytes = new byte[count];
        try
        {
            await proxy.ReadExactlyAsync(bytes, cancellationToken);
            return bytes;
        }
        catch (IOException ex)
        {
            throw new Socks5Exception(ex is EndOfStreamException
                ? $"SOCKS5 proxy closed the connection before {what} was complete"
                : $"SOCKS5 proxy connection failed while reading {what}: {ex.Message}", ex);
        }
    }
}
