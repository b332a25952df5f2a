using System.Text.RegularExpressions;

namespace MailCluster.Silo.Tests.Http;

/// <summary>One row of docs/metrics.md: a family, its TYPE, and whether it is planned (not exported yet).</summary>
internal sealed record CatalogueEntry(string Name, string Type, bool Planned);

/// <summary>Reads the family tables of docs/metrics.md, noting which section ("Planned: …") each row is in.</summary>
internal static partial class MetricsCatalogue
{
    public static IReadOnlyList<CatalogueEntry> Read()
    {
        var entries = new List<CatalogueEntry>();
        var planned = false;
        foreach (var line in File.ReadLines(RepositoryFiles.Path("docs/metrics.md")))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                planned = line.StartsWith("## Planned", StringComparison.Ordinal);
            }
            else if (Row().Match(line) is { Success: true } row)
            {
                entries.Add(new CatalogueEntry(row.Groups["name"].Value, row.Groups["type"].Value, planned));
            }
        }
        return entries;
    }

    [GeneratedRegex(@"^\| `(?<name>[a-z_:][a-z0-9_:]*)` \| (?<type>counter|gauge|histogram) \|")]
    private static partial Regex Row();
}
