using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class InvalidLimitStopsStartup
{
    [Theory]
    [InlineData("--Smtp:Limits:MaxRecipientsPerMessage=50", "Smtp:Limits:MaxRecipientsPerMessage is 50; RFC 5321 4.5.3.1.8 requires at least 100")]
    [InlineData("--Delivery:Client:Timeouts:DataTermination=00:01:00", "Delivery:Client:Timeouts:DataTermination is 00:01:00; RFC 5321 4.5.3.2.6 requires at least 00:10:00")]
    public async Task LimitBelowTheRfcFloorStopsTheSiloWithAMessageNamingIt(string setting, string message)
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path, setting);
        var start = await Record.ExceptionAsync(silo.StartAsync);
        Assert.IsType<InvalidOperationException>(start);
        Assert.NotEqual(0, await silo.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(message, silo.Output, StringComparison.Ordinal);
    }
}
