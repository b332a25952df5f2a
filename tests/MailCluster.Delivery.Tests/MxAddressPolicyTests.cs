using System.Net;
using MailCluster.Delivery.Egress;

namespace MailCluster.Delivery.Tests;

public sealed class MxAddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("::", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("64:ff9b::a00:1", false)]
    [InlineData("64:ff9b::7f00:1", false)]
    [InlineData("64:ff9b:1::a9fe:a9fe", false)]
    [InlineData("::ffff:0:a00:1", false)]
    [InlineData("::10.0.0.1", false)]
    [InlineData("2002:a00:1::1", false)]
    [InlineData("2001:0:4136:e378::1", false)]
    [InlineData("100::1", false)]
    [InlineData("192.0.2.1", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2001:db8::25", true)]
    public void HostileMxRecordsCannotReachInternalServices(string address, bool allowed)
    {
        Assert.Equal(allowed, new MxAddressPolicy([]).Allows(IPAddress.Parse(address)));
    }

    [Fact]
    public void ConfiguredRangesAreAllowedAndNothingElse()
    {
        var policy = MxAddressPolicy.FromOptions(new DeliveryOptions { AllowedMxNetworks = "127.0.0.0/8, 10.20.0.0/16" });
        Assert.True(policy.Allows(IPAddress.Parse("127.0.10.2")));
        Assert.True(policy.Allows(IPAddress.Parse("10.20.1.1")));
        Assert.False(policy.Allows(IPAddress.Parse("10.21.1.1")));
        Assert.False(policy.Allows(IPAddress.Parse("192.168.0.1")));
    }
}
