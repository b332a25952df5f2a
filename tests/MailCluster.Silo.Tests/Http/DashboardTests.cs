using MailCluster.Testing.IO;
using System.Text.Json;
using MailCluster.Testing.Monitoring;

namespace MailCluster.Silo.Tests.Http;

public sealed class DashboardTests
{
    private static readonly string s_json = File.ReadAllText(RepositoryFiles.Path("deploy/grafana/mailcluster-dashboard.json"));

    [Fact]
    public void DashboardIsImportableWithADatasourceInput()
    {
        using var dashboard = JsonDocument.Parse(s_json);
        var root = dashboard.RootElement;

        Assert.InRange(root.GetProperty("schemaVersion").GetInt32(), 36, 41);
        Assert.Contains(root.GetProperty("__inputs").EnumerateArray(), input =>
            input.GetProperty("name").GetString() == "DS_PROMETHEUS" && input.GetProperty("pluginId").GetString() == "prometheus");
        Assert.False(string.IsNullOrEmpty(root.GetProperty("uid").GetString()));
    }

    [Fact]
    public void EveryPanelHasTheDatasourceInputAPlaceOnTheGridAndQueries()
    {
        using var dashboard = JsonDocument.Parse(s_json);
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();

        Assert.NotEmpty(panels);
        Assert.All(panels, panel =>
        {
            var title = panel.GetProperty("title").GetString();
            var datasource = panel.GetProperty("datasource");
            Assert.Equal("prometheus", datasource.GetProperty("type").GetString());
            Assert.Equal("${DS_PROMETHEUS}", datasource.GetProperty("uid").GetString());
            var grid = panel.GetProperty("gridPos");
            var (x, y, w, h) = (grid.GetProperty("x").GetInt32(), grid.GetProperty("y").GetInt32(), grid.GetProperty("w").GetInt32(), grid.GetProperty("h").GetInt32());
            Assert.True(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24, $"panel '{title}' has gridPos {grid}");
            if (panel.GetProperty("type").GetString() != "row")
            {
                var targets = panel.GetProperty("targets").EnumerateArray().ToList();
                Assert.True(targets.Count > 0, $"panel '{title}' has no targets");
                Assert.All(targets, target => Assert.False(string.IsNullOrWhiteSpace(target.GetProperty("expr").GetString()), $"panel '{title}' has an empty expr"));
            }
        });
    }

    [Fact]
    public void NoTwoPanelsOverlap()
    {
        using var dashboard = JsonDocument.Parse(s_json);
        var cells = new HashSet<(int, int)>();
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            var grid = panel.GetProperty("gridPos");
            for (var x = grid.GetProperty("x").GetInt32(); x < grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32(); x++)
            {
                for (var y = grid.GetProperty("y").GetInt32(); y < grid.GetProperty("y").GetInt32() + grid.GetProperty("h").GetInt32(); y++)
                {
                    Assert.True(cells.Add((x, y)), $"panel '{panel.GetProperty("title").GetString()}' overlaps another at {x},{y}");
                }
            }
        }
    }

    [Fact]
    public void EveryMailClusterMetricTheDashboardQueriesIsInTheCatalogue()
    {
        var documented = MetricsCatalogue.Read().Select(f => f.Name).ToHashSet();
        var used = MonitoringQueries.FromDashboard(s_json)
            .SelectMany(expr => System.Text.RegularExpressions.Regex.Matches(expr, "mailcluster_[a-z_]+").Select(m => m.Value))
            .Select(name => System.Text.RegularExpressions.Regex.Replace(name, "_(bucket|sum|count)$", string.Empty))
            .Distinct();
        Assert.All(used, name => Assert.Contains(name, documented));
    }
}
