namespace MailCluster.Silo.Tests.Http;

public sealed class MetricsCatalogueTests
{
    [Fact]
    public async Task EveryExportedMailClusterFamilyIsDocumentedWithItsType()
    {
        using var rooms = new RoomMetrics();
        var exported = Exposition.FamilyTypes(await rooms.Metrics.ScrapeAsync());
        var documented = MetricsCatalogue.Read().ToDictionary(e => e.Name, e => e.Type);

        Assert.All(exported.Where(f => f.Key.StartsWith("mailcluster_", StringComparison.Ordinal)), family =>
        {
            Assert.True(documented.TryGetValue(family.Key, out var type), $"{family.Key} is exported but not in docs/metrics.md");
            Assert.True(type == family.Value, $"{family.Key} is a {family.Value} but docs/metrics.md says {type}");
        });
    }

    [Fact]
    public async Task EveryDocumentedFamilyIsExported()
    {
        using var rooms = new RoomMetrics();
        var exported = Exposition.FamilyTypes(await rooms.Metrics.ScrapeAsync());

        Assert.All(MetricsCatalogue.Read(), entry =>
            Assert.True(exported.ContainsKey(entry.Name), $"docs/metrics.md lists {entry.Name}, which /metrics does not export"));
    }
}
