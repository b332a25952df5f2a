using System.Net;
using MailCluster.Dns.Transport;
using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Mx;

/// <summary>Finds the mail hosts of a domain by the rules of RFC 5321 5.1 and RFC 7505.</summary>
public sealed class MxResolver
{
    private readonly IDnsResolver _resolver;
    private readonly DnsOptions _options;
    private readonly DnsRandom _random;

    internal MxResolver(IDnsResolver resolver, DnsOptions options, Random random)
    {
        _resolver = resolver;
        _options = options;
        _random = new DnsRandom(random);
    }

    public async Task<MxResolution> ResolveAsync(string domain, CancellationToken cancellationToken)
    {
        var name = DnsName.Normalize(domain);
        if ((name.Length == 0 ? "the root is not a mail domain" : DnsName.Validate(name)) is { } invalid)
        {
            return MxResolution.NoSuchDomain(name, $"'{domain}' is not a valid domain: {invalid}");
        }

        var mx = await _resolver.LookupAsync(new DnsQuestion(name, DnsRecordType.Mx), cancellationToken);
        switch (mx.Status)
        {
            case DnsLookupStatus.NameError:
                return MxResolution.NoSuchDomain(name, mx.Detail);
            case DnsLookupStatus.NoData:
                return await ResolveImplicitAsync(name, cancellationToken);
            case DnsLookupStatus.Success:
                break;
            default:
                return MxResolution.TemporaryFailure(name, $"MX lookup for {name} failed: {mx.Detail}");
        }

        var records = mx.Records.OfType<MxRecord>().ToList();

        // RFC 7505 3: a single MX with preference 0 and the root as exchange means "no mail here".
        if (records is [{ Preference: 0, Exchange: "" }])
        {
            return MxResolution.NullMx(name);
        }

        var lookups = await Task.WhenAll(Order(records).Take(_options.MaxMxHosts)
            .Select(r => ResolveHostAsync(r.Exchange, r.Preference, isImplicit: false, cancellationToken)));
        return Summarise(name, lookups, $"no MX host of {name} has an address");
    }

    /// <summary>
    /// The addresses (A and AAAA) of a host that is not reached through MX, such as an MTA-STS
    /// policy host (RFC 8461 3.3): empty with the reason when there are none.
    /// </summary>
    public async Task<HostAddresses> ResolveAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var lookup = await ResolveHostAsync(DnsName.Normalize(host), 0, isImplicit: false, cancellationToken);
        return new HostAddresses(lookup.Host?.Addresses ?? [], lookup.Failure);
    }

    /// <summary>The TXT records at a name, each as its strings joined (RFC 7208 3.3, RFC 8461 3.1).</summary>
    public async Task<TextRecords> LookupTextAsync(string name, CancellationToken cancellationToken)
    {
        var result = await _resolver.LookupAsync(new DnsQuestion(DnsName.Normalize(name), DnsRecordType.Txt), cancellationToken);
        return new TextRecords([.. result.Records.OfType<TxtRecord>().Select(r => r.Text)], result.IsTemporaryFailure, result.Detail);
    }

    // RFC 5321 5.1: with no MX records the domain itself is the mail host, preference 0.
    private async Task<MxResolution> ResolveImplicitAsync(string name, CancellationToken cancellationToken)
    {
        var lookup = await ResolveHostAsync(name, 0, isImplicit: true, cancellationToken);
        return Summarise(name, [lookup], $"{name} has neither MX nor address records");
    }

    private static MxResolution Summarise(string domain, HostLookup[] lookups, string noHostsReason)
    {
        var hosts = lookups.Select(l => l.Host).OfType<MxHost>().ToList();
        if (hosts.Count > 0)
        {
            return MxResolution.Resolved(domain, hosts);
        }

        var why = string.Join("; ", lookups.Select(l => l.Failure));
        return lookups.Any(l => l.IsTemporary)
            ? MxResolution.TemporaryFailure(domain, $"could not resolve the mail hosts of {domain}: {why}")
            : MxResolution.NoMailHosts(domain, lookups.Length == 0 ? noHostsReason : $"{noHostsReason}: {why}");
    }

    // RFC 5321 5.1: sort by preference; hosts of equal preference are tried in random order.
    private MxRecord[] Order(List<MxRecord> records)
    {
        var ordered = records.Where(r => r.Exchange.Length > 0)
            .OrderBy(r => r.Preference)
            .DistinctBy(r => r.Exchange)
            .ToArray();
        for (var start = 0; start < ordered.Length;)
        {
            var end = start + 1;
            while (end < ordered.Length && ordered[end].Preference == ordered[start].Preference)
            {
                end++;
            }

            _random.Shuffle(ordered.AsSpan(start, end - start));
            start = end;
        }

        return ordered;
    }

    private async Task<HostLookup> ResolveHostAsync(string host, ushort preference, bool isImplicit, CancellationToken cancellationToken)
    {
        // RFC 5321 5.1: MX targets are domain names; an address literal in an MX is not used.
        if (IPAddress.TryParse(host, out _))
        {
            return new HostLookup(null, $"{host} is an IP literal, not a host name", IsTemporary: false);
        }

        var a = _resolver.LookupAsync(new DnsQuestion(host, DnsRecordType.A), cancellationToken).AsTask();
        var aaaa = _resolver.LookupAsync(new DnsQuestion(host, DnsRecordType.Aaaa), cancellationToken).AsTask();
        var results = await Task.WhenAll(a, aaaa);
        var addresses = results.SelectMany(r => r.Records)
            .Select(r => r switch { ARecord v4 => v4.Address, AaaaRecord v6 => v6.Address, _ => null })
            .OfType<IPAddress>()
            .Distinct()
            .ToList();
        if (addresses.Count > 0)
        {
            return new HostLookup(new MxHost(host, preference, addresses, isImplicit), null, IsTemporary: false);
        }

        var temporary = results.FirstOrDefault(r => r.IsTemporaryFailure);
        return new HostLookup(null, temporary?.Detail ?? $"{host} has no A or AAAA records", temporary is not null);
    }

    private sealed record HostLookup(MxHost? Host, string? Failure, bool IsTemporary);
}
