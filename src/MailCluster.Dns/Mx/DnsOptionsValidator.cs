using MailCluster.Dns.Transport;

namespace MailCluster.Dns.Mx;

/// <summary>Checks <see cref="DnsOptions"/> at startup; each error names the option and its value.</summary>
public static class DnsOptionsValidator
{
    private static readonly TimeSpan s_minimumTimeout = TimeSpan.FromMilliseconds(100);

    public static IReadOnlyList<string> Validate(DnsOptions options)
    {
        var errors = new List<string>();
        const string P = DnsOptions.SectionName;
        if (options.Timeout < s_minimumTimeout)
        {
            errors.Add($"{P}:Timeout is {options.Timeout.TotalSeconds}s; must be at least 100ms");
        }

        AtLeast(errors, $"{P}:Attempts", options.Attempts, 1, "one try is needed");
        AtLeast(errors, $"{P}:MaxCacheEntries", options.MaxCacheEntries, 0, "0 disables the cache");
        AtLeast(errors, $"{P}:MaxCnameDepth", options.MaxCnameDepth, 1, "RFC 1034 3.6.2 expects CNAMEs to be followed");
        AtLeast(errors, $"{P}:MaxMxHosts", options.MaxMxHosts, 1, "at least one MX host must be tried");
        if (options.UdpPayloadSize is < 512 or > 4096)
        {
            errors.Add($"{P}:UdpPayloadSize is {options.UdpPayloadSize}; RFC 6891 6.2.5 requires 512 to 4096");
        }

        if (options.MinimumTtl < TimeSpan.Zero || options.MinimumTtl > options.MaximumTtl)
        {
            errors.Add($"{P}:MinimumTtl is {options.MinimumTtl}; must be between 0 and {P}:MaximumTtl ({options.MaximumTtl})");
        }

        if (options.MaximumNegativeTtl < TimeSpan.Zero)
        {
            errors.Add($"{P}:MaximumNegativeTtl is {options.MaximumNegativeTtl}; must not be negative");
        }

        foreach (var nameserver in options.Nameservers)
        {
            if (!NameserverAddress.TryParse(nameserver, out _))
            {
                errors.Add($"{P}:Nameservers contains '{nameserver}'; expected an IP address with an optional port, e.g. 127.0.0.1:53");
            }
        }

        return errors;
    }

    private static void AtLeast(List<string> errors, string option, int value, int minimum, string why)
    {
        if (value < minimum)
        {
            errors.Add($"{option} is {value}; must be at least {minimum} ({why})");
        }
    }
}
