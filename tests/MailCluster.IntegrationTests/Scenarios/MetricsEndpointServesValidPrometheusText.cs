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

        using var live = await http.GetAsync(new Uri("healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var ready = await http.GetAsync(new Uri("readyz", UriKind.Relative));
        Assert.True(ready.StatusCode == HttpStatusCode.OK, await ready.Content.ReadAsStringAsync());
    }
}
