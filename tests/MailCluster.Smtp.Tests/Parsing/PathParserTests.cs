using MailCluster.Smtp.Parsing;

namespace MailCluster.Smtp.Tests.Parsing;

public sealed class PathParserTests
{
    [Theory]
    [InlineData("<a@b.test>", "a", "b.test")]
    [InlineData("<first.last+tag@sub.example.test>", "first.last+tag", "sub.example.test")]
    [InlineData("<\"quoted local\"@b.test>", "\"quoted local\"", "b.test")]
    [InlineData("<\"a\\\"b\"@b.test>", "\"a\\\"b\"", "b.test")]
    [InlineData("<a@[192.0.2.1]>", "a", "[192.0.2.1]")]
    [InlineData("<a@[IPv6:2001:db8::1]>", "a", "[IPv6:2001:db8::1]")]
    [InlineData("<@hop1.test,@hop2.test:a@b.test>", "a", "b.test")]
    [InlineData("<jörg@bücher.test>", "jörg", "bücher.test")]
    public void ValidPathsParse(string text, string local, string domain)
    {
        Assert.True(PathParser.TryParsePath(text, allowNull: false, out var mailbox, out var rest));
        Assert.Equal(local, mailbox!.LocalPart);
        Assert.Equal(domain, mailbox.Domain);
        Assert.True(rest.IsEmpty);
    }

    [Theory]
    [InlineData("a@b.test")]
    [InlineData("<a@b.test")]
    [InlineData("<a>")]
    [InlineData("<@b.test>")]
    [InlineData("<a@>")]
    [InlineData("<.a@b.test>")]
    [InlineData("<a.@b.test>")]
    [InlineData("<a..b@b.test>")]
    [InlineData("<a b@b.test>")]
    [InlineData("<a@b..test>")]
    [InlineData("<a@-b.test>")]
    [InlineData("<a@b-.test>")]
    [InlineData("<a@b_c.test>")]
    [InlineData("<a@[300.0.0.1]>")]
    [InlineData("<a@[1.2.3]>")]
    [InlineData("<a@[IPv6:nonsense]>")]
    [InlineData("<\"unterminated@b.test>")]
    [InlineData("<a@b.test:c@d.test>")]
    [InlineData("<>")]
    public void InvalidPathsAreRefused(string text)
    {
        Assert.False(PathParser.TryParsePath(text, allowNull: false, out _, out _));
    }

    [Fact]
    public void NullPathOnlyWhereAllowed()
    {
        Assert.True(PathParser.TryParsePath("<> SIZE=1", allowNull: true, out var mailbox, out var rest));
        Assert.Null(mailbox);
        Assert.Equal(" SIZE=1", rest.ToString());
    }

    [Fact]
    public void LocalPartOver64OctetsIsRefused()
    {
        Assert.True(PathParser.TryParsePath($"<{new string('a', 64)}@b.test>", false, out _, out _));
        Assert.False(PathParser.TryParsePath($"<{new string('a', 65)}@b.test>", false, out _, out _));
    }

    [Fact]
    public void LabelOver63OrPathOver256OctetsIsRefused()
    {
        Assert.False(PathParser.TryParsePath($"<a@{new string('b', 64)}.test>", false, out _, out _));
        var longDomain = string.Join('.', Enumerable.Repeat(new string('d', 60), 5));
        Assert.False(PathParser.TryParsePath($"<a@{longDomain}>", false, out _, out _));
    }
}
