using System.Diagnostics.Metrics;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// Maps OpenTelemetry-style instrument names and units to Prometheus names, following the
/// OpenTelemetry-to-Prometheus compatibility rules: dots become underscores, the unit becomes a
/// suffix (<c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>), annotations in braces such as
/// <c>{message}</c> add nothing, and counters end in <c>_total</c>.
/// </summary>
internal static class PrometheusNaming
{
    private static readonly Dictionary<string, string> s_unitSuffixes = new(StringComparer.Ordinal)
    {
        ["s"] = "seconds",
        ["ms"] = "milliseconds",
        ["By"] = "bytes",
    };

    // Prometheus reserves these suffixes for the series of histograms and summaries (promtool lints them).
    private static readonly string[] s_reservedSuffixes = ["_count", "_sum", "_bucket"];

    public static string FamilyName(Instrument instrument, string type) =>
        FamilyName(instrument.Name, instrument.Unit, type);

    /// <param name="type">The family's TYPE: <c>counter</c>, <c>gauge</c> or <c>histogram</c>.</param>
    public static string FamilyName(string instrumentName, string? unit, string type)
    {
        var name = SanitizeMetricName(instrumentName);
        if (unit is not null && s_unitSuffixes.TryGetValue(unit, out var suffix))
        {
            name = AppendSuffix(name, suffix);
        }
        return type switch
        {
            "counter" => AppendSuffix(name, "total"),
            // A gauge that counts things now (the runtime's dotnet.assembly.count) says so.
            "gauge" when s_reservedSuffixes.Any(r => name.EndsWith(r, StringComparison.Ordinal)) => name + "_current",
            _ => name,
        };
    }

    /// <summary>A tag key as a label name, and a metric name: <c>[a-zA-Z_][a-zA-Z0-9_]*</c> (prometheus-net refuses colons, which are for recording rules).</summary>
    public static void AppendLabelName(ref CharBuffer buffer, string tagKey) => AppendSanitized(ref buffer, tagKey);

    private static string AppendSuffix(string name, string suffix) =>
        name.EndsWith("_" + suffix, StringComparison.Ordinal) ? name : $"{name}_{suffix}";

    private static string SanitizeMetricName(string name)
    {
        var buffer = new CharBuffer(stackalloc char[128]);
        try
        {
            AppendSanitized(ref buffer, name);
            return buffer.Written.ToString();
        }
        finally
        {
            buffer.Dispose();
        }
    }

    private static void AppendSanitized(ref CharBuffer buffer, string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            buffer.Append('_');
        }
        foreach (var c in name)
        {
            buffer.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }
    }
}
