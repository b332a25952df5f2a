using MailCluster.Dns.Transport;

namespace MailCluster.Dns.Tests.Transport;

public sealed class NameserverConfigurationTests
{
    [Fact]
    public void ResolvConfNameserverLinesAreReadAndTheRestIgnored()
    {
        const string text = """
            # generated
            search example.test
            nameserver 192.0.2.53
            nameserver   fe80::1%eth0 ; link-local
            ;nameserver 192.0.2.99
            options timeout:1 attempts:2
            nameserver 2001:db8::53
            """;

        Assert.Equal(["192.0.2.53", "fe80::1", "2001:db8::53"], ResolvConf.ParseNameservers(text));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1:53")]
    [InlineData("127.0.0.1:5353", "127.0.0.1:5353")]
    [InlineData("[::1]:5353", "[::1]:5353")]
    [InlineData("::1", "[::1]:53")]
    public void NameserverAddressesParse(string text, string expected)
    {
        Assert.True(NameserverAddress.TryParse(text, out var endpoint));
        Assert.Equal(expected, endpoint.ToString());
    }

    [Theory]
    [InlineData("dns.example.test")]
    [InlineData("127.0.0.1:0")]
    [InlineData("")]
    public void HostNamesAndPortZeroAreRefused(string text) => Assert.False(NameserverAddress.TryParse(text, out _));
}
