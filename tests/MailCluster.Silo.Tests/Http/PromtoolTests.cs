using MailCluster.Testing.IO;
namespace MailCluster.Silo.Tests.Http;

public sealed class PromtoolTests
{
    [Fact]
    public async Task PopulatedScrapePassesPromtoolCheckMetricsWithoutAWord()
    {
        using var rooms = new RoomMetrics().WithTraffic();
        var scrape = await rooms.Metrics.ScrapeAsync();

        var (exitCode, output) = await Promtool.RunAsync(["check", "metrics"], scrape);

        Assert.True(exitCode == 0 && output.Length == 0, $"promtool exited {exitCode}:\n{output}\n--- scrape ---\n{scrape}");
    }

    [Fact]
    public async Task AlertRulesPassPromtoolCheckRules()
    {
        var (exitCode, output) = await Promtool.RunAsync(["check", "rules", RepositoryFiles.Path("deploy/prometheus/alerts.yml")]);

        Assert.True(exitCode == 0, $"promtool exited {exitCode}:\n{output}");
    }
}
