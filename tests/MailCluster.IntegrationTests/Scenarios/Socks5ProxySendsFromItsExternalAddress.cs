using System.Net;
using System.Net.Sockets;
using MailCluster.Delivery.Egress;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// An egress connection through a real SOCKS5 proxy (dante) reaches its target from the proxy's
/// external address, and the stream carries the session once the handshake is done.
/// </summary>
[Trait("Category", "Integration")]
public sealed class Socks5ProxySendsFromItsExternalAddress
{
    // Not 127.0.0.1, so the target can tell the proxy's connection from ours.
    private static readonly IPAddress s_external = IPAddress.Parse("127.0.0.54");
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TheTargetSeesTheProxysExternalAddressAndBothDirectionsCarryLines()
    {
        await using var dante = await DanteProxy.StartAsync(s_external);
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        using var deadline = new CancellationTokenSource(s_timeout);
        var accepting = target.AcceptSocketAsync(deadline.Token);

        using var client = new TcpClient();
        await client.ConnectAsync(dante.Endpoint, deadline.Token);
        var proxied = client.GetStream();
        await Socks5Handshake.ConnectAsync(proxied, IPAddress.Loopback, ((IPEndPoint)target.LocalEndpoint).Port, deadline.Token);
        await proxied.WriteAsync("EHLO client.test\r\n"u8.ToArray(), deadline.Token);

        using var accepted = await accepting;
        Assert.True(s_external.Equals(((IPEndPoint)accepted.RemoteEndPoint!).Address), $"the target saw {accepted.RemoteEndPoint}\n{dante.Output}");
        await using var atTarget = new NetworkStream(accepted);
        using var targetReads = new StreamReader(atTarget);
        Assert.Equal("EHLO client.test", await targetReads.ReadLineAsync(deadline.Token));

        // The target's first bytes reach the client whole: the handshake read none of them.
        await atTarget.WriteAsync("250 target.test\r\n"u8.ToArray(), deadline.Token);
        using var clientReads = new StreamReader(proxied);
        Assert.Equal("250 target.test", await clientReads.ReadLineAsync(deadline.Token));
    }

    [Fact]
    public async Task ATargetPortWithNothingListeningIsARefusalNamedByTheProxy()
    {
        await using var dante = await DanteProxy.StartAsync(s_external);
        // A loopback port nobody listens on: the proxy's connection to it is refused.
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var deadline = new CancellationTokenSource(s_timeout);

        using var client = new TcpClient();
        await client.ConnectAsync(dante.Endpoint, deadline.Token);
        var error = await Assert.ThrowsAsync<Socks5Exception>(() =>
            Socks5Handshake.ConnectAsync(client.GetStream(), IPAddress.Loopback, port, deadline.Token));

        Assert.Equal($"SOCKS5 proxy refused CONNECT to 127.0.0.1:{port}: connection refused (REP 5)", error.Message);
    }
}
