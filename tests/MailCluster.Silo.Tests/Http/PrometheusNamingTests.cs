using MailCluster.Silo.Http.Metrics;

namespace MailCluster.Silo.Tests.Http;

public sealed class PrometheusNamingTests
{
    [Theory]
    [InlineData("mailcluster.ingress.messages", "{message}", "counter", "mailcluster_ingress_messages_total")]
    [InlineData("mailcluster.ingress.message.size", "By", "counter", "mailcluster_ingress_message_size_bytes_total")]
    [InlineData("mailcluster.ingress.commit.duration", "s", "histogram", "mailcluster_ingress_commit_duration_seconds")]
    [InlineData("mailcluster.ingress.connections.current", "{connection}", "gauge", "mailcluster_ingress_connections_current")]
    [InlineData("mailcluster.spool.commit.batch_size", "{message}", "histogram", "mailcluster_spool_commit_batch_size")]
    [InlineData("mailcluster.dns.lookups", null, "counter", "mailcluster_dns_lookups_total")]
    [InlineData("mailcluster.delivery.attempts_total", "{attempt}", "counter", "mailcluster_delivery_attempts_total")]
    [InlineData("mailcluster.delivery.time_in_queue_seconds", "s", "histogram", "mailcluster_delivery_time_in_queue_seconds")]
    [InlineData("dotnet.process.cpu.time", "s", "counter", "dotnet_process_cpu_time_seconds_total")]
    [InlineData("dotnet.gc.pause.time", "ms", "counter", "dotnet_gc_pause_time_milliseconds_total")]
    [InlineData("dotnet.assembly.count", "{assembly}", "gauge", "dotnet_assembly_count_current")]
    [InlineData("odd-name/with spaces", "%", "gauge", "odd_name_with_spaces")]
    [InlineData("9lives", null, "gauge", "_9lives")]
    public void InstrumentNameAndUnitBecomeThePrometheusName(string instrument, string? unit, string type, string expected) =>
        Assert.Equal(expected, PrometheusNaming.FamilyName(instrument, unit, type));
}
