namespace MailCluster.Silo.Tests.Http;

/// <summary>Reads a scrape back: the lines of one family, and the family names it holds.</summary>
internal static partial class Exposition
{
    /// <summary>
    /// The family's HELP (when it has text) and TYPE lines, then its samples ordered by series
    /// (name and labels, <c>le</c> aside), keeping the exporter's order within one series, so
    /// that histogram buckets stay ascending. The exporter promises no order between series.
    /// </summary>
    public static IReadOnlyList<string> Family(string scrape, string name)
    {
        var lines = Lines(scrape);
        var headers = lines.Where(line => line.StartsWith($"# HELP {name} ", StringComparison.Ordinal) && line.Length > $"# HELP {name} ".Length
            || line.StartsWith($"# TYPE {name} ", StringComparison.Ordinal));
        var samples = lines
            .Where(line => SampleName(line) is { } sample && (sample == name || sample == name + "_bucket" || sample == name + "_sum" || sample == name + "_count"))
            .OrderBy(SeriesOf, StringComparer.Ordinal);
        return [.. headers, .. samples];
    }

    private static string SeriesOf(string sample) =>
        LeLabel().Replace(sample[..sample.LastIndexOf(' ')], string.Empty).Replace("{}", string.Empty, StringComparison.Ordinal);

    [System.Text.RegularExpressions.GeneratedRegex(@",?le=""[^""]*""")]
    private static partial System.Text.RegularExpressions.Regex LeLabel();

    /// <summary>Each family's name and TYPE.</summary>
    public static IReadOnlyDictionary<string, string> FamilyTypes(string scrape) =>
        Lines(scrape)
            .Where(line => line.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(line => line.Split(' '))
            .ToDictionary(parts => parts[2], parts => parts[3], StringComparer.Ordinal);

    private static string? SampleName(string line) =>
        line.StartsWith('#') ? null : line.Split('{', ' ')[0];

    private static string[] Lines(string scrape) => scrape.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
