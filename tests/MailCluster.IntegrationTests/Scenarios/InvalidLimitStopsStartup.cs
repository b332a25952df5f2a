using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class InvalidLimitStopsStartup
{
    [Fact]
    public async Task LimitBelowTheRfcFloorStopsTheSiloWithAMessageNamingIt()
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path, "--Smtp:Limits:MaxRecipientsPerMessage=50");
        var start = await Record.ExceptionAsync(silo.StartAsync);
        Assert.IsType<InvalidOperationException>(start);
        Assert.NotEqual(0, await silo.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Smtp:Limits:MaxRecipientsPerMessage is 50; RFC 5321 4.5.3.1.8 requires at least 100", silo.Output, StringComparison.Ordinal);
    }
}
