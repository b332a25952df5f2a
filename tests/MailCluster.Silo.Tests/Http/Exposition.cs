namespace MailCluster.Silo.Tests.Http;

/// <summary>Reads a scrape back: the lines of one family, and the family names it holds.</summary>
internal static class Exposition
{
    public static IReadOnlyList<string> Family(string scrape, string name) =>
        [.. Lines(scrape).Where(line => line == $"# HELP {name}" || line.StartsWith($"# HELP {name} ", StringComparison.Ordinal)
            || line.StartsWith($"# TYPE {name} ", StringComparison.Ordinal)
            || SampleName(line) is { } sample && (sample == name || sample == name + "_bucket" || sample == name + "_sum" || sample == name + "_count"))];

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
