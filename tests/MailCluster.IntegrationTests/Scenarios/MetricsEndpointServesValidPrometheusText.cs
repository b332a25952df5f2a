using System.Globalization;
using System.Net;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class MetricsEndpointServesValidPrometheusText
{
    [Fact]
    public async Task AcceptedMessageIsCountedInAScrapeThatPromtoolAcceptsAndTheSiloIsLiveAndReady()
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path);
        await silo.StartAsync();
        using var http = new HttpClient { BaseAddress = silo.HttpAddress, Timeout = TimeSpan.FromSeconds(10) };

        var sent = await Swaks.SendAsync(silo.SmtpAddress, "alice@client.test", "bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());

        using var metrics = await http.GetAsync(new Uri("metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType?.ToString());
        var scrape = await metrics.Content.ReadAsStringAsync();
        var promtool = await ExternalCommand.RunAsync("promtool", ["check", "metrics"], TimeSpan.FromSeconds(60), scrape);
        Assert.True(promtool.ExitCode == 0 && promtool.Output.Length == 0, $"{promtool}\n--- scrape ---\n{scrape}");
        var accepted = scrape.Split('\n').Single(line => line.StartsWith("mailcluster_ingress_messages_total ", StringComparison.Ordinal));
        Assert.True(double.Parse(accepted.Split(' ')[1], CultureInfo.InvariantCulture) >= 1, accepted);

        // A scraper that asks for OpenMetrics (as Prometheus does) gets it: counters stay counters, and "# EOF" ends it.
        using var openMetricsRequest = new HttpRequestMessage(HttpMethod.Get, new Uri("metrics", UriKind.Relative));
        openMetricsRequest.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
        using var openMetrics = await http.SendAsync(openMetricsRequest);
        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", openMetrics.Content.Headers.ContentType?.ToString());
        var openScrape = await openMetrics.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE mailcluster_ingress_messages counter", openScrape.Split('\n'));
        Assert.EndsWith("# EOF\n", openScrape, StringComparison.Ordinal);

        using var live = await http.GetAsync(new Uri("healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var ready = await http.GetAsync(new Uri("readyz", UriKind.Relative));
        Assert.True(ready.StatusCode == HttpStatusCode.OK, await ready.Content.ReadAsStringAsync());
    }
}
