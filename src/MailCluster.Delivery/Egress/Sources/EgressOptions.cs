using System.Net;
using MailCluster.Admin;
using MailCluster.Mime.Dkim;
using MailCluster.Mime.Headers;

namespace MailCluster.Delivery.Egress.Sources;

/// <summary>
/// The addresses delivery sends from, bound from <c>Egress</c>: named sources (a local address to
/// bind, or a SOCKS5 proxy that sends from it) and weighted pools of them. Without a source the
/// silo sends from its default address under <c>Delivery:HeloName</c>, as one implicit source.
/// </summary>
internal sealed class EgressOptions
{
    public const string Section = "Egress";

    public const string DefaultPoolHeader = "X-MailCluster-Pool";

    // Fields a message needs as sent or signed: taking one out of every message would break mail.
    private static readonly HashSet<string> s_neededFields = new(
        [.. MessageSigner.SignedHeaders, "Received", "Return-Path", "Sender", "Bcc", "DKIM-Signature"], StringComparer.OrdinalIgnoreCase);

    public List<EgressSourceOptions> Sources { get; set; } = [];

    public List<EgressPoolOptions> Pools { get; set; } = [];

    /// <summary>The pool mail goes through when nothing chose another. Default: the only pool, when there is one.</summary>
    public string? DefaultPool { get; set; }

    /// <summary>
    /// The header field with which a trusted client (inside <c>Smtp:TrustedNetworks</c>) names a
    /// message's pool, when its submission user has none. Ingress takes every such field out of every
    /// message, whoever sent it, before signing: it is never sent on. Default <c>X-MailCluster-Pool</c>.
    /// </summary>
    public string PoolHeader { get; set; } = DefaultPoolHeader;

    public IEnumerable<string> Validate(string section = Section)
    {
        if (!HeaderFieldScanner.IsFieldName(PoolHeader))
        {
            yield return $"{section}:PoolHeader '{PoolHeader}' is not a header field name (RFC 5322 3.6.8: printable US-ASCII other than ':')";
        }
        else if (s_neededFields.Contains(PoolHeader))
        {
            yield return $"{section}:PoolHeader '{PoolHeader}' is a field mail needs; ingress takes the pool header out of every message";
        }
        var sources = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Sources.Count; i++)
        {
            foreach (var error in Sources[i].Validate($"{section}:Sources:{i}"))
            {
                yield return error;
            }
            if (!string.IsNullOrWhiteSpace(Sources[i].Name) && !sources.Add(Sources[i].Name))
            {
                yield return $"{section}:Sources:{i}:Name '{Sources[i].Name}' is used by an earlier source";
            }
        }
        var pools = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Pools.Count; i++)
        {
            foreach (var error in Pools[i].Validate($"{section}:Pools:{i}", sources))
            {
                yield return error;
            }
            if (!string.IsNullOrWhiteSpace(Pools[i].Name) && !pools.Add(Pools[i].Name))
            {
                yield return $"{section}:Pools:{i}:Name '{Pools[i].Name}' is used by an earlier pool";
            }
        }
        if (Sources.Count > 0 && Pools.Count == 0)
        {
            yield return $"{section}:Pools is empty; sources are used through pools (e.g. {section}:Pools:0:Name=default, :Sources:0:Name={Sources[0].Name})";
        }
        if (DefaultPool is not null && !pools.Contains(DefaultPool))
        {
            yield return $"{section}:DefaultPool '{DefaultPool}' is not a pool of {section}:Pools";
        }
        if (DefaultPool is null && Pools.Count > 1)
        {
            yield return $"{section}:DefaultPool is not set; with several pools it must name one";
        }
    }
}

/// <summary>One address mail is sent from.</summary>
internal sealed class EgressSourceOptions
{
    /// <summary>The source's name in pools, metrics, logs and the site grains' keys: letters, digits, '-', '_' and '.'.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The local address connections bind to (IPv4 or IPv6); with <see cref="Socks5"/>, the proxy's external address, for logs.</summary>
    public string? Address { get; set; }

    /// <summary>The name sent with EHLO: forward and reverse DNS of <see cref="Address"/> should match it. Default <c>Delivery:HeloName</c>.</summary>
    public string? EhloName { get; set; }

    /// <summary><c>host:port</c> of a SOCKS5 proxy (RFC 1928) that sends from the source's address, for addresses that live on another host.</summary>
    public string? Socks5 { get; set; }

    /// <summary>A new address's warm-up: caps per site that grow by day; null: the source is warm.</summary>
    public WarmUpOptions? WarmUp { get; set; }

    public IEnumerable<string> Validate(string section)
    {
        foreach (var error in WarmUp?.Validate($"{section}:WarmUp") ?? [])
        {
            yield return error;
        }
        if (!EgressName.IsValid(Name))
        {
            yield return $"{section}:Name '{Name}' must be {EgressName.Rule}";
        }
        if (Address is not null && !IPAddress.TryParse(Address, out _))
        {
            yield return $"{section}:Address '{Address}' is not an IPv4 or IPv6 address";
        }
        if (Address is null && Socks5 is null)
        {
            yield return $"{section}: a source needs an Address to bind, or a Socks5 proxy";
        }
        if (Socks5 is not null && !EgressSource.TryParseProxy(Socks5, out _))
        {
            yield return $"{section}:Socks5 '{Socks5}' is not host:port";
        }
        if (EhloName is not null && string.IsNullOrWhiteSpace(EhloName))
        {
            yield return $"{section}:EhloName is empty; RFC 5321 4.1.1.1 requires a domain";
        }
    }
}

/// <summary>A weighted set of sources that mail is spread over.</summary>
internal sealed class EgressPoolOptions
{
    public string Name { get; set; } = string.Empty;

    public List<EgressPoolMemberOptions> Sources { get; set; } = [];

    /// <summary>Where a warming source's mail goes once its cap at a site is reached: to the pool's other sources (<c>Spread</c>, the default), or it waits (<c>Hold</c>).</summary>
    public PoolOverflow Overflow { get; set; } = PoolOverflow.Spread;

    public IEnumerable<string> Validate(string section, IReadOnlySet<string> sources)
    {
        if (!EgressName.IsValid(Name))
        {
            yield return $"{section}:Name '{Name}' must be {EgressName.Rule}";
        }
        if (Sources.Count == 0)
        {
            yield return $"{section}:Sources is empty; a pool needs at least one source";
        }
        for (var i = 0; i < Sources.Count; i++)
        {
            if (!sources.Contains(Sources[i].Name))
            {
                yield return $"{section}:Sources:{i}:Name '{Sources[i].Name}' is not a source of Egress:Sources";
            }
            if (Sources[i].Weight is < 1 or > 1000)
            {
                yield return $"{section}:Sources:{i}:Weight is {Sources[i].Weight}; must be between 1 and 1000";
            }
        }
        if (Sources.Select(s => s.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() < Sources.Count)
        {
            yield return $"{section}:Sources names a source twice";
        }
    }
}

/// <summary>What a pool does with the share of a source that reached its warm-up cap at a site.</summary>
internal enum PoolOverflow
{
    /// <summary>The pool's other sources carry it, as for a source backed off.</summary>
    Spread,

    /// <summary>It waits for the source's next hour or day: the others carry only their own shares.</summary>
    Hold,
}

internal sealed class EgressPoolMemberOptions
{
    public string Name { get; set; } = string.Empty;

    /// <summary>The source's share of the pool's messages, relative to the others'. Default 1.</summary>
    public int Weight { get; set; } = 1;
}
