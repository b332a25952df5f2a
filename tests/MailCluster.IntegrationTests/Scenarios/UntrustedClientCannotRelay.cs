using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class UntrustedClientCannotRelay
{
    [Fact]
    public async Task ClientOutsideTrustedNetworksGets554AtRcptAndNothingIsSpooled()
    {
        using var spool = new TempDirectory();
        // Loopback is not trusted in this configuration, so the test client is an outsider.
        await using var silo = new SiloProcess(spool.Path, "--Smtp:TrustedNetworks=10.0.0.0/8");
        await silo.StartAsync();

        var result = await Swaks.SendAsync(silo.SmtpAddress, "spammer@client.test", "victim@dest.test");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("554 5.7.1 Relay access denied", result.Output, StringComparison.Ordinal);
        Assert.Equal(new Spool.SpoolCounts(0, 0, 0), await SpoolInspector.CountAsync(spool.Path));
    }
}
