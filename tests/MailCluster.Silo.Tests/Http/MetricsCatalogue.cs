using MailCluster.Testing.IO;
using System.Text.RegularExpressions;

namespace MailCluster.Silo.Tests.Http;

/// <summary>One row of docs/metrics.md: a family and its TYPE.</summary>
internal sealed record CatalogueEntry(string Name, string Type);

/// <summary>Reads the family tables of docs/metrics.md.</summary>
internal static partial class MetricsCatalogue
{
    public static IReadOnlyList<CatalogueEntry> Read()
    {
        var entries = new List<CatalogueEntry>();
        foreach (var line in File.ReadLines(RepositoryFiles.Path("docs/metrics.md")))
        {
            if (Row().Match(line) is { Success: true } row)
            {
                entries.Add(new CatalogueEntry(row.Groups["name"].Value, row.Groups["type"].Value));
            }
        }
        return entries;
    }

    [GeneratedRegex(@"^\| `(?<name>[a-z_:][a-z0-9_:]*)` \| (?<type>counter|gauge|histogram) \|")]
    private static partial Regex Row();
}
