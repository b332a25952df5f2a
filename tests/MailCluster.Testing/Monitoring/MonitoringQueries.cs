using System.Text.Json;

namespace MailCluster.Testing.Monitoring;

/// <summary>The PromQL expressions of the Grafana dashboard and of the alert rules in deploy/.</summary>
public static class MonitoringQueries
{
    /// <summary>Grafana's interval variables, given the values a short test needs to see data.</summary>
    private static readonly (string Variable, string Value)[] s_grafanaVariables =
    [
        ("$__rate_interval", "1m"),
        ("$__interval", "15s"),
        ("$__range", "5m"),
    ];

    /// <summary>Every panel's target expression, with Grafana's variables filled in.</summary>
    public static IReadOnlyList<string> FromDashboard(string json)
    {
        using var dashboard = JsonDocument.Parse(json);
        return [.. dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(panel => panel.TryGetProperty("targets", out _))
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => s_grafanaVariables.Aggregate(target.GetProperty("expr").GetString()!, (expr, v) => expr.Replace(v.Variable, v.Value, StringComparison.Ordinal)))];
    }

    /// <summary>
    /// Every <c>expr:</c> of a rules file, single-line or a <c>|</c> block. Enough YAML for our own
    /// alerts.yml; promtool check rules validates the file as a whole.
    /// </summary>
    public static IReadOnlyList<string> FromAlertRules(string yaml)
    {
        var expressions = new List<string>();
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].TrimStart();
            if (!trimmed.StartsWith("expr:", StringComparison.Ordinal))
            {
                continue;
            }
            var value = trimmed["expr:".Length..].Trim();
            if (value != "|")
            {
                expressions.Add(value);
                continue;
            }
            var indent = lines[i].Length - trimmed.Length;
            var block = lines.Skip(i + 1).TakeWhile(line => line.Length - line.TrimStart().Length > indent || line.Trim().Length == 0).ToList();
            expressions.Add(string.Join('\n', block.Select(line => line.Trim())).Trim());
            i += block.Count;
        }
        return expressions;
    }
}
