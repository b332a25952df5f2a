using System.Globalization;
using System.Text.RegularExpressions;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>A series of the Prometheus text format, <c>name{label="value",...}</c>: its name and labels.</summary>
public sealed partial record MetricSeries(string Name, IReadOnlyDictionary<string, string> Labels)
{
    public static MetricSeries Parse(string series) =>
        TryParse(series, out var parsed) ? parsed : throw new ArgumentException($"not a series: {series}", nameof(series));

    /// <summary>A sample line, <c>series value</c>; comments and other lines are not.</summary>
    public static bool TryParseSample(string line, out MetricSeries series, out double value)
    {
        (series, value) = (null!, 0);
        var space = line.LastIndexOf(' ');
        return !line.StartsWith('#') && space > 0 && TryParse(line[..space], out series)
            && double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Same name, and every label of <paramref name="other"/> with the same value.</summary>
    public bool Includes(MetricSeries other) => Name == other.Name && other.Labels.All(l => Labels.TryGetValue(l.Key, out var v) && v == l.Value);

    private static bool TryParse(string text, out MetricSeries series)
    {
        series = null!;
        var match = SeriesPattern().Match(text);
        if (!match.Success)
        {
            return false;
        }
        var labels = LabelPattern().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value);
        series = new MetricSeries(match.Groups["name"].Value, labels);
        return true;
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?$""")]
    private static partial Regex SeriesPattern();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
    private static partial Regex LabelPattern();
}
