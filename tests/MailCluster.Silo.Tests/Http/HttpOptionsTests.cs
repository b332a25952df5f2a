using MailCluster.Silo.Http;

namespace MailCluster.Silo.Tests.Http;

public sealed class HttpOptionsTests
{
    [Fact]
    public void DefaultListensOnLoopbackPort8025()
    {
        var options = new HttpOptions();
        Assert.Empty(options.Validate());
        Assert.Equal("127.0.0.1:8025", options.ListenEndPoint().ToString());
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:8025,127.0.0.1:8026")]
    public void ListenMustBeOneAddressAndPort(string listen) =>
        Assert.Equal([$"Http:Listen is '{listen}'; expected one address:port, e.g. 127.0.0.1:8025"], new HttpOptions { Listen = listen }.Validate());
}
