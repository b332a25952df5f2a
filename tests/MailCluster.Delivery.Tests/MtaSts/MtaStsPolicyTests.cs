using MailCluster.Delivery.MtaSts;

namespace MailCluster.Delivery.Tests.MtaSts;

public sealed class MtaStsPolicyTests
{
    [Fact]
    public void TheRfcExampleParses()
    {
        // RFC 8461 3.2.
        var policy = MtaStsPolicy.Parse("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n", out var error);

        Assert.Null(error);
        Assert.Equal(MtaStsMode.Enforce, policy!.Mode);
        Assert.Equal(TimeSpan.FromDays(7), policy.MaxAge);
        Assert.Equal(["mail.example.com", "*.example.net", "backupmx.example.com"], policy.MxPatterns);
    }

    [Theory]
    [InlineData("mail.example.com", true)]
    [InlineData("MAIL.Example.COM.", true)]
    [InlineData("a.example.net", true)]
    [InlineData("example.net", false)]
    [InlineData("a.b.example.net", false)]
    [InlineData("xexample.net", false)]
    [InlineData("mail.example.com.evil.test", false)]
    [InlineData("other.example.com", false)]
    public void MxHostsMatchExactlyOrByOneLeftmostLabel(string host, bool allowed)
    {
        var policy = new MtaStsPolicy(MtaStsMode.Enforce, TimeSpan.FromDays(1), ["mail.example.com", "*.example.net"]);
        Assert.Equal(allowed, policy.Allows(host));
    }

    [Fact]
    public void LfLinesUnknownFieldsAndRepeatedKeysAreAccepted()
    {
        var policy = MtaStsPolicy.Parse("version: STSv1\nmode: testing\nmode: enforce\nfuture_field: 1\nmx:\tmx.test.\nmax_age: 86400\n\n", out var error);

        Assert.Null(error);
        Assert.Equal(MtaStsMode.Testing, policy!.Mode);
        Assert.Equal(["mx.test"], policy.MxPatterns);
    }

    [Fact]
    public void MaxAgeIsCappedAtTheRfcLimit()
    {
        var policy = MtaStsPolicy.Parse("version: STSv1\nmode: none\nmax_age: 9999999999\n", out _);
        Assert.Equal(MtaStsPolicy.LongestMaxAge, policy!.MaxAge);
        Assert.Empty(policy.MxPatterns);
    }

    [Theory]
    [InlineData("mode: enforce\nmx: a.test\nmax_age: 1", "no version field")]
    [InlineData("version: STSv2\nmode: enforce\nmx: a.test\nmax_age: 1", "version 'STSv2' is not STSv1")]
    [InlineData("version: STSv1\nmode: Enforce\nmx: a.test\nmax_age: 1", "mode 'Enforce' is not enforce, testing or none")]
    [InlineData("version: STSv1\nmx: a.test\nmax_age: 1", "no mode field")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.test", "no max_age field")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.test\nmax_age: -1", "max_age '-1' is not 1 to 10 digits")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 12345678901", "max_age '12345678901' is not 1 to 10 digits")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 1", "mode enforce without any mx field")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.*.test\nmax_age: 1", "mx 'a.*.test' is not a host name or *.domain pattern")]
    [InlineData("version: STSv1\nmode: enforce\nmx: \nmax_age: 1", "mx '' is not a host name or *.domain pattern")]
    [InlineData("version: STSv1\nthis line has no colon\n", "line 'this line has no colon' is not 'key: value'")]
    [InlineData("<html><body>Not here</body></html>", "line '<html><body>Not here</body></html>' is not 'key: value'")]
    public void AnInvalidPolicyIsRefusedWithItsReason(string text, string reason)
    {
        Assert.Null(MtaStsPolicy.Parse(text, out var error));
        Assert.Equal(reason, error);
    }
}
