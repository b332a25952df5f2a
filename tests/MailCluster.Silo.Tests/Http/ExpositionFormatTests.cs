using System.Diagnostics.Metrics;
using MailCluster.Silo.Http.Metrics;
using MailCluster.Testing.IO;

namespace MailCluster.Silo.Tests.Http;

public sealed class ExpositionFormatTests : IDisposable
{
    private readonly TestMeterFactory _factory = new();
    private readonly SiloMetrics _metrics;
    private readonly Meter _meter;

    public ExpositionFormatTests()
    {
        _metrics = new SiloMetrics(_factory);
        _meter = _factory.Create(new MeterOptions("MailCluster.Test"));
    }

    [Fact]
    public async Task CounterIsSummedPerLabelSetWithHelpAndType()
    {
        var counter = _meter.CreateCounter<long>("mailcluster.test.messages", "{message}", "Messages seen.");
        counter.Add(2, new KeyValuePair<string, object?>("code", 250));
        counter.Add(3, new KeyValuePair<string, object?>("code", 250));
        counter.Add(1, new KeyValuePair<string, object?>("code", 550));
        counter.Add(4);

        Assert.Equal(
            [
                "# HELP mailcluster_test_messages_total Messages seen.",
                "# TYPE mailcluster_test_messages_total counter",
                "mailcluster_test_messages_total 4",
                "mailcluster_test_messages_total{code=\"250\"} 5",
                "mailcluster_test_messages_total{code=\"550\"} 1",
            ],
            Exposition.Family(await _metrics.ScrapeAsync(), "mailcluster_test_messages_total"));
    }

    [Fact]
    public async Task TagsInAnyOrderNameOneSeriesWithLabelsSortedAndSanitized()
    {
        var counter = _meter.CreateCounter<double>("mailcluster.test.lookups");
        counter.Add(1.5, new("type", "MX"), new("dns.result", "NoError"));
        counter.Add(1, new("dns.result", "NoError"), new("type", "MX"));

        Assert.Contains("mailcluster_test_lookups_total{dns_result=\"NoError\",type=\"MX\"} 2.5", (await _metrics.ScrapeAsync()).Split('\n'));
    }

    [Fact]
    public async Task LabelValuesEscapeBackslashQuoteAndLineFeed()
    {
        var counter = _meter.CreateCounter<int>("mailcluster.test.replies", description: "Replies \\ with\nlines.");
        counter.Add(1, new KeyValuePair<string, object?>("text", "say \"hi\"\\\nbye"));

        Assert.Equal(
            [
                "# HELP mailcluster_test_replies_total Replies \\\\ with\\nlines.",
                "# TYPE mailcluster_test_replies_total counter",
                "mailcluster_test_replies_total{text=\"say \\\"hi\\\"\\\\\\nbye\"} 1",
            ],
            Exposition.Family(await _metrics.ScrapeAsync(), "mailcluster_test_replies_total"));
    }

    [Fact]
    public async Task UpDownCounterIsAGaugeOfItsSum()
    {
        var active = _meter.CreateUpDownCounter<int>("mailcluster.test.sessions.active", "{session}");
        active.Add(3);
        active.Add(-1);

        Assert.Equal(
            ["# TYPE mailcluster_test_sessions_active gauge", "mailcluster_test_sessions_active 2"],
            Exposition.Family(await _metrics.ScrapeAsync(), "mailcluster_test_sessions_active"));
    }

    [Fact]
    public async Task ObservableGaugeIsReadAtScrapeTimeAndForgetsTagSetsNoLongerReported()
    {
        var states = new List<Measurement<long>> { new(7, new KeyValuePair<string, object?>("state", "queued")), new(1, new KeyValuePair<string, object?>("state", "deferred")) };
        _meter.CreateObservableGauge("mailcluster.test.recipients", () => states, "{recipient}");

        Assert.Equal(
            [
                "# TYPE mailcluster_test_recipients gauge",
                "mailcluster_test_recipients{state=\"deferred\"} 1",
                "mailcluster_test_recipients{state=\"queued\"} 7",
            ],
            Exposition.Family(await _metrics.ScrapeAsync(), "mailcluster_test_recipients"));

        states = [new(9, new KeyValuePair<string, object?>("state", "queued"))];
        Assert.Equal(
            ["# TYPE mailcluster_test_recipients gauge", "mailcluster_test_recipients{state=\"queued\"} 9"],
            Exposition.Family(await _metrics.ScrapeAsync(), "mailcluster_test_recipients"));
    }

    [Fact]
    public async Task ObservableUpDownCounterIsAGauge()
    {
        _meter.CreateObservableUpDownCounter("mailcluster.test.leases", () => 4, "{lease}");

        Assert.Equal(["# TYPE mailcluster_test_leases gauge", "mailcluster_test_leases 4"], Exposition.Family(await _metrics.ScrapeAsync(), "mailcluster_test_leases"));
    }

    [Fact]
    public async Task ObservableCounterReportsItsCumulativeValueAsACounter()
    {
        var total = 10L;
        _meter.CreateObservableCounter("mailcluster.test.retries", () => total, "{retry}", "Retries so far.");
        await _metrics.ScrapeAsync();
        total = 12;

        Assert.Contains("mailcluster_test_retries_total 12", (await _metrics.ScrapeAsync()).Split('\n'));
    }

    [Fact]
    public async Task ObservableCounterThatFallsIsAResetNotAHighWaterMark()
    {
        var queued = 10L;
        _meter.CreateObservableCounter("mailcluster.test.queue.length", () => queued, "{item}");
        await _metrics.ScrapeAsync();
        queued = 4;

        Assert.Equal(["# TYPE mailcluster_test_queue_length_total counter", "mailcluster_test_queue_length_total 4"], Exposition.Family(await _metrics.ScrapeAsync(), "mailcluster_test_queue_length_total"));
    }

    [Fact]
    public async Task HistogramHasCumulativeBucketsSumAndCountWithSecondsBoundaries()
    {
        var duration = _meter.CreateHistogram<double>("mailcluster.test.commit.duration", "s", "Commit time.");
        duration.Record(0.003, new KeyValuePair<string, object?>("backend", "sqlite"));
        duration.Record(0.005, new KeyValuePair<string, object?>("backend", "sqlite"));
        duration.Record(100, new KeyValuePair<string, object?>("backend", "sqlite"));

        var lines = Exposition.Family(await _metrics.ScrapeAsync(), "mailcluster_test_commit_duration_seconds");

        Assert.Equal("# TYPE mailcluster_test_commit_duration_seconds histogram", lines[1]);
        Assert.Contains("mailcluster_test_commit_duration_seconds_bucket{backend=\"sqlite\",le=\"0.0025\"} 0", lines);
        // A value on a bound counts in that bucket ("less than or equal").
        Assert.Contains("mailcluster_test_commit_duration_seconds_bucket{backend=\"sqlite\",le=\"0.005\"} 2", lines);
        Assert.Contains("mailcluster_test_commit_duration_seconds_bucket{backend=\"sqlite\",le=\"60\"} 2", lines);
        Assert.Contains("mailcluster_test_commit_duration_seconds_bucket{backend=\"sqlite\",le=\"+Inf\"} 3", lines);
        Assert.Contains("mailcluster_test_commit_duration_seconds_sum{backend=\"sqlite\"} 100.008", lines);
        Assert.Contains("mailcluster_test_commit_duration_seconds_count{backend=\"sqlite\"} 3", lines);
    }

    [Theory]
    [InlineData("By", "1024,4096,16384,65536,262144,1048576,4194304,16777216,67108864")]
    [InlineData("{message}", "1,2,5,10,20,50,100,200,500,1000")]
    public async Task HistogramBoundariesFollowTheUnit(string unit, string bounds)
    {
        _meter.CreateHistogram<int>("mailcluster.test.sizes", unit).Record(1);

        var les = Exposition.Family(await _metrics.ScrapeAsync(), PrometheusNaming.FamilyName("mailcluster.test.sizes", unit, "histogram"))
            .Where(line => line.Contains("_bucket", StringComparison.Ordinal))
            .Select(line => line.Split('"')[1]);

        Assert.Equal([.. bounds.Split(','), "+Inf"], les);
    }

    [Fact]
    public async Task HistogramAdviceFromTheRoomWinsOverTheDefaults()
    {
        _meter.CreateHistogram("mailcluster.test.attempts", "{attempt}", null, null, new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 3, 9] }).Record(2);

        Assert.Contains("mailcluster_test_attempts_bucket{le=\"3\"} 1", (await _metrics.ScrapeAsync()).Split('\n'));
        Assert.DoesNotContain("mailcluster_test_attempts_bucket{le=\"2\"} 1", (await _metrics.ScrapeAsync()).Split('\n'));
    }

    [Fact]
    public async Task UnboundedLabelsStopAtTheSeriesCapAndTheDropsAreCounted()
    {
        var counter = _meter.CreateCounter<long>("mailcluster.test.leaky");
        for (var i = 0; i < MeterBridge.MaxSeries + 5; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("id", i));
        }

        var scrape = await _metrics.ScrapeAsync();
        Assert.Equal(MeterBridge.MaxSeries, Exposition.Family(scrape, "mailcluster_test_leaky_total").Count(line => !line.StartsWith('#')));
        Assert.Contains($"{MeterBridge.SeriesDroppedName} 5", scrape.Split('\n'));
    }

    [Fact]
    public async Task TagsPrometheusWouldRefuseAreDroppedAndCountedNeverThrownAtTheRoom()
    {
        var counter = _meter.CreateCounter<long>("mailcluster.test.odd");
        var histogram = _meter.CreateHistogram<double>("mailcluster.test.odd.sizes", "By");

        counter.Add(1, new KeyValuePair<string, object?>("__reserved", "x"));
        counter.Add(1, new("a.b", "1"), new("a_b", "2"));
        histogram.Record(5, new KeyValuePair<string, object?>("le", "7"));
        counter.Add(-3);
        counter.Add(2);

        var scrape = await _metrics.ScrapeAsync();
        Assert.Equal(["# TYPE mailcluster_test_odd_total counter", "mailcluster_test_odd_total 2"], Exposition.Family(scrape, "mailcluster_test_odd_total"));
        Assert.Contains($"{MeterBridge.SeriesDroppedName} 3", scrape.Split('\n'));
    }

    [Fact]
    public async Task OpenMetricsScrapeKeepsCountersAsCountersAndEndsWithEof()
    {
        _meter.CreateCounter<long>("mailcluster.test.opened", "{message}", "Opened.").Add(3);

        var scrape = await _metrics.ScrapeAsync(Prometheus.ExpositionFormat.OpenMetricsText);

        Assert.Contains("# TYPE mailcluster_test_opened counter", scrape.Split('\n'));
        Assert.Contains("mailcluster_test_opened_total 3.0", scrape.Split('\n'));
        Assert.EndsWith("# EOF\n", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetersOfOtherContainersAndOtherLibrariesAreNotExported()
    {
        using var otherFactory = new TestMeterFactory();
        otherFactory.Create(new MeterOptions("MailCluster.Test")).CreateCounter<long>("mailcluster.test.elsewhere").Add(1);
        _factory.Create(new MeterOptions("Microsoft.AspNetCore.Hosting")).CreateCounter<long>("http.server.requests").Add(1);

        var families = Exposition.FamilyTypes(await _metrics.ScrapeAsync()).Keys;
        Assert.DoesNotContain("mailcluster_test_elsewhere_total", families);
        Assert.DoesNotContain("http_server_requests_total", families);
    }

    [Fact]
    public async Task RuntimeAndProcessMetricsAreExported()
    {
        var families = Exposition.FamilyTypes(await _metrics.ScrapeAsync()).Keys;
        Assert.Contains("dotnet_gc_collections_total", families);
        Assert.Contains("process_cpu_seconds_total", families);
        Assert.Contains("process_resident_memory_bytes", families);
        Assert.Contains("process_start_time_seconds", families);
        Assert.Contains("process_max_fds", families);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _factory.Dispose();
    }
}
