namespace MailCluster.Silo.Http.Metrics;

/// <summary>The escaping rules of the Prometheus text format that prometheus-net leaves to its callers.</summary>
internal static class PrometheusText
{
    /// <summary>HELP text escapes only backslash and line feed; prometheus-net writes it as given.</summary>
    public static string EscapeHelp(string help) =>
        help.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>Label values escape backslash, double quote and line feed (the rendering is also a series key).</summary>
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
}
