using MailCluster.Dns.Mx;

namespace MailCluster.Dns.Tests.Mx;

public sealed class DnsOptionsValidatorTests
{
    [Fact]
    public void DefaultsAreValid() => Assert.Empty(DnsOptionsValidator.Validate(new DnsOptions()));

    [Fact]
    public void DefaultsMatchTheDocumentation()
    {
        var options = new DnsOptions();

        Assert.Equal((2.0, 2, 1232, 8, 10), (options.Timeout.TotalSeconds, options.Attempts, options.UdpPayloadSize, options.MaxCnameDepth, options.MaxMxHosts));
    }

    [Theory]
    [InlineData("Timeout", "Dns:Timeout is 0s; must be at least 100ms")]
    [InlineData("Attempts", "Dns:Attempts is 0; must be at least 1")]
    [InlineData("UdpPayloadSize", "Dns:UdpPayloadSize is 100; RFC 6891 6.2.5 requires 512 to 4096")]
    [InlineData("MaxCnameDepth", "Dns:MaxCnameDepth is 0; must be at least 1")]
    [InlineData("MaxMxHosts", "Dns:MaxMxHosts is 0; must be at least 1")]
    [InlineData("MaxCacheEntries", "Dns:MaxCacheEntries is -1; must be at least 0")]
    [InlineData("MinimumTtl", "Dns:MinimumTtl is 2.00:00:00; must be between 0 and Dns:MaximumTtl")]
    [InlineData("Nameservers", "Dns:Nameservers contains 'dns.example.test'")]
    public void EachBadValueIsReportedByName(string option, string expected)
    {
        var options = new DnsOptions();
        switch (option)
        {
            case "Timeout": options.Timeout = TimeSpan.Zero; break;
            case "Attempts": options.Attempts = 0; break;
            case "UdpPayloadSize": options.UdpPayloadSize = 100; break;
            case "MaxCnameDepth": options.MaxCnameDepth = 0; break;
            case "MaxMxHosts": options.MaxMxHosts = 0; break;
            case "MaxCacheEntries": options.MaxCacheEntries = -1; break;
            case "MinimumTtl": options.MinimumTtl = TimeSpan.FromDays(2); break;
            default: options.Nameservers.Add("dns.example.test"); break;
        }

        Assert.StartsWith(expected, Assert.Single(DnsOptionsValidator.Validate(options)));
    }

    [Fact]
    public void FactoryRefusesInvalidOptions()
    {
        var error = Assert.Throws<ArgumentException>(() => DnsResolver.Create(new DnsOptions { Attempts = 0 }, TimeProvider.System));

        Assert.Contains("Dns:Attempts", error.Message);
    }
}
