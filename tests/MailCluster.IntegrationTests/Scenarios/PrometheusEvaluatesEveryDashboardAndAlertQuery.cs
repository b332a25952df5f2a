using System.Text.RegularExpressions;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.Monitoring;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed partial class PrometheusEvaluatesEveryDashboardAndAlertQuery
{
    [Fact]
    public async Task EveryQueryEvaluatesAndQueriesOverTouchedMetricsReturnData()
    {
        // Real traffic end to end: one delivered message, one bounced (whose DSN is delivered too).
        await using var world = await MailWorld.StartAsync(
            ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.18.2", "mx-host=client.test,mx.client.test,10", "host-record=mx.client.test,127.0.18.3"],
            ["127.0.18.2", "127.0.18.3"]);
        var silo = world.Silo;
        var sent = await Swaks.SendAsync(silo.SmtpAddress, "alice@client.test", "bob@dest.test,reject+carol@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await world.Sink("127.0.18.3").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context);
        await world.WaitForEmptySpoolAsync();
        await using var prometheus = new PrometheusServer();
        await prometheus.StartAsync($"127.0.0.1:{silo.HttpPort}");
        // rate() needs two samples inside its window; three scrapes leave a margin.
        await prometheus.WaitForScrapesAsync(3);
        var touched = await TouchedFamiliesAsync(silo);

        var dashboard = MonitoringQueries.FromDashboard(await File.ReadAllTextAsync(Path.Combine(RepositoryLayout.Root, "deploy", "grafana", "mailcluster-dashboard.json")));
        var alerts = MonitoringQueries.FromAlertRules(await File.ReadAllTextAsync(Path.Combine(RepositoryLayout.Root, "deploy", "prometheus", "alerts.yml")));
        var results = new List<PromQlResult>();
        foreach (var expression in dashboard.Concat(alerts))
        {
            results.Add(await prometheus.QueryAsync(expression));
        }

        var report = string.Join('\n', results);
        Assert.True(results.All(r => r.Error is null), report);
        // Alert expressions hold thresholds and are empty while all is well; dashboard panels are not.
        var mustHaveData = dashboard.Where(expression => Families(expression).All(touched.Contains)).ToList();
        Assert.Contains(mustHaveData, expression => expression.Contains("mailcluster_ingress_messages_total", StringComparison.Ordinal));
        Assert.Contains(mustHaveData, expression => expression.Contains("mailcluster_spool_commit_duration_seconds", StringComparison.Ordinal));
        Assert.Contains(mustHaveData, expression => expression.Contains("process_cpu_seconds_total", StringComparison.Ordinal));
        Assert.Contains(mustHaveData, expression => expression.Contains("mailcluster_delivery_attempts_total", StringComparison.Ordinal));
        Assert.Contains(mustHaveData, expression => expression.Contains("mailcluster_delivery_time_in_queue_seconds", StringComparison.Ordinal));
        Assert.Contains(mustHaveData, expression => expression.Contains("mailcluster_dns_lookups_total", StringComparison.Ordinal));
        // Every silo is an Orleans silo: the cluster row has data even for one.
        Assert.Contains(mustHaveData, expression => expression.Contains("mailcluster_cluster_silos", StringComparison.Ordinal));
        Assert.Contains(mustHaveData, expression => expression.Contains("mailcluster_site_exchanges_total", StringComparison.Ordinal));
        Assert.Contains(mustHaveData, expression => expression.Contains("orleans_catalog_activations", StringComparison.Ordinal));
        Assert.All(results.Where(r => mustHaveData.Contains(r.Expression)), r => Assert.True(r.Samples > 0, $"no data for {r.Expression}\n{report}"));
    }

    /// <summary>The families that have at least one sample in the silo's own scrape.</summary>
    private static async Task<HashSet<string>> TouchedFamiliesAsync(SiloProcess silo)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var scrape = await http.GetStringAsync(new Uri(silo.HttpAddress, "metrics"));
        return [.. scrape.Split('\n')
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .SelectMany(line => Families(line.Split('{', ' ')[0]))];
    }

    /// <summary>The metric families an expression reads, with histogram series suffixes removed.</summary>
    private static IEnumerable<string> Families(string expression) =>
        MetricName().Matches(expression).Select(m => SeriesSuffix().Replace(m.Value, ""));

    [GeneratedRegex(@"\b(mailcluster|process|dotnet|orleans)_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex SeriesSuffix();
}
