using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace MailCluster.Delivery.Egress.Sources;

/// <summary>
/// One address mail is sent from: bound locally (<see cref="Address"/>) or through a SOCKS5 proxy
/// (<see cref="Socks5"/>), with its own EHLO name. A site's limits hold per source and site, so
/// each source has its own site grains: <see cref="LimitsKey"/>. The implicit source (no
/// <c>Egress</c> section) binds nothing and keeps the site's own key, as before sources existed.
/// A class, not a record: a source is one object for the silo's life and is compared by reference
/// (actors key their workers by it on every job).
/// </summary>
internal sealed class EgressSource(string name, IPAddress? address, string ehloName, DnsEndPoint? socks5, bool isImplicit = false, WarmUpSchedule? warmUp = null)
{
    public const string ImplicitName = "default";

    public string Name { get; } = name;

    public IPAddress? Address { get; } = address;

    public string EhloName { get; } = ehloName;

    public DnsEndPoint? Socks5 { get; } = socks5;

    /// <summary>The source's warm-up, while it has one.</summary>
    public WarmUpSchedule? WarmUp { get; } = warmUp;

    /// <summary>The key of the site grain that keeps <paramref name="site"/>'s limits for this source.</summary>
    public string LimitsKey(string site) => isImplicit ? site : $"{site}@{Name}";

    public static bool TryParseProxy(string text, [NotNullWhen(true)] out DnsEndPoint? proxy)
    {
        proxy = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
        {
            return false;
        }
        var host = text[..colon].Trim('[', ']');
        if (host.Length == 0)
        {
            return false;
        }
        proxy = new DnsEndPoint(host, port);
        return true;
    }

    public override string ToString() => Socks5 is null ? $"{Name} ({Address?.ToString() ?? "default address"})" : $"{Name} ({Address} via SOCKS5 {Socks5.Host}:{Socks5.Port})";
}

/// <summary>A pool's member and its weight: its share of the pool's messages, relative to the others'.</summary>
internal sealed record PoolMember(EgressSource Source, int Weight);

/// <summary>A named, weighted set of sources; <paramref name="HoldsOverflow"/>: a source's share waits while it is at its warm-up cap, rather than going to the others.</summary>
internal sealed record EgressPool(string Name, IReadOnlyList<PoolMember> Members, bool HoldsOverflow = false);
