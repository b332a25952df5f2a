using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// An MX that offers STARTTLS and fails the handshake: opportunistic TLS retries the same host in
/// plaintext and delivers; a domain whose policy requires TLS is deferred instead (4.7.5).
/// </summary>
[Trait("Category", "Integration")]
public sealed class FailedOpportunisticTlsFallsBackToPlaintext
{
    private static readonly string[] s_zone =
    [
        "mx-host=lenient.test,mx.broken.test,10", "mx-host=strict.test,mx.broken.test,10", "host-record=mx.broken.test,127.0.35.3",
        "mx-host=source.test,mx.source.test,10", "host-record=mx.source.test,127.0.35.2",
    ];

    [Fact]
    public async Task OpportunisticMailIsDeliveredInPlaintextAndRequiredTlsNeverFallsBack()
    {
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.35.2"], 0, "--Shaping:Rules:0:Match=strict.test", "--Shaping:Rules:0:Tls=Require");
        await using var broken = await AiosmtpdSink.StartAsync("127.0.35.3", world.MxPort, brokenTls: true);

        var lenient = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@source.test", "bob@lenient.test");
        var strict = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@source.test", "carol@strict.test");
        Assert.True(lenient.ExitCode == 0 && strict.ExitCode == 0, $"{lenient}\n{strict}");

        var delivered = Assert.Single(await broken.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
        Assert.Equal(["bob@lenient.test"], delivered.RcptTos);
        await world.Silo.WaitForMetricAsync("mailcluster_delivery_tls_fallbacks_total{domain=\"lenient.test\"}", 1, world.Context);
        await world.Silo.WaitForMetricAsync("mailcluster_delivery_connections_total{domain=\"lenient.test\",source=\"default\",tls=\"none\"}", 1, world.Context);
        await world.Silo.WaitForMetricAsync("mailcluster_delivery_attempts_total{domain=\"strict.test\",outcome=\"deferred\"}", 1, world.Context);
        Assert.Single(broken.Messages());
        Assert.Contains("4.7.5", await File.ReadAllTextAsync(world.DeliveryLogPath), StringComparison.Ordinal);
    }
}
