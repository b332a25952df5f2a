using System.Globalization;
using System.Text;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>The escaping and number rules of the Prometheus text exposition format 0.0.4.</summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>HELP text escapes only backslash and line feed.</summary>
    public static string EscapeHelp(string help) =>
        help.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    public static void AppendEscapedLabelValue(ref CharBuffer buffer, ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': buffer.Append(@"\\"); break;
                case '"': buffer.Append("\\\""); break;
                case '\n': buffer.Append(@"\n"); break;
                default: buffer.Append(c); break;
            }
        }
    }

    /// <summary>Go's ParseFloat spellings for the special values; otherwise the shortest round-trip form.</summary>
    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    public static void AppendHeader(StringBuilder output, string name, string type, string? help)
    {
        if (!string.IsNullOrEmpty(help))
        {
            output.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        }
        output.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    /// <summary><c>name{labels} value</c>; <paramref name="labels"/> is already escaped and may be empty.</summary>
    public static void AppendSample(StringBuilder output, string name, string labels, double value)
    {
        output.Append(name);
        if (labels.Length > 0)
        {
            output.Append('{').Append(labels).Append('}');
        }
        output.Append(' ').Append(FormatValue(value)).Append('\n');
    }
}
