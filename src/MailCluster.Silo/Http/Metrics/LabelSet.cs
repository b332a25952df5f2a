using System.Globalization;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// Renders measurement tags as Prometheus labels (<c>code="550",type="MX"</c>), sorted by key so
/// that the same tags in any order name the same series. The rendering is the series key; a new
/// series gets its label names and values from <see cref="Split"/>.
/// </summary>
internal static class LabelSet
{
    private const int StackSortLimit = 16;

    /// <summary>Label names (sanitized) and values (as text, unescaped), sorted by tag key.</summary>
    public static (string[] Names, string[] Values) Split(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Span<int> order = tags.Length <= StackSortLimit ? stackalloc int[tags.Length] : new int[tags.Length];
        SortByKey(tags, order);
        var names = new string[tags.Length];
        var values = new string[tags.Length];
        var name = new CharBuffer(stackalloc char[64]);
        try
        {
            for (var i = 0; i < order.Length; i++)
            {
                var tag = tags[order[i]];
                name.Clear();
                PrometheusNaming.AppendLabelName(ref name, tag.Key);
                names[i] = name.Written.ToString();
                values[i] = Text(tag.Value);
            }
        }
        finally
        {
            name.Dispose();
        }
        return (names, values);
    }

    private static string Text(object? value) =>
        value switch
        {
            null => string.Empty,
            bool flag => flag ? "true" : "false",
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
        };

    public static void Write(ReadOnlySpan<KeyValuePair<string, object?>> tags, ref CharBuffer buffer)
    {
        Span<int> order = tags.Length <= StackSortLimit ? stackalloc int[tags.Length] : new int[tags.Length];
        SortByKey(tags, order);
        for (var i = 0; i < order.Length; i++)
        {
            var tag = tags[order[i]];
            if (i > 0)
            {
                buffer.Append(',');
            }
            PrometheusNaming.AppendLabelName(ref buffer, tag.Key);
            buffer.Append("=\"");
            AppendValue(tag.Value, ref buffer);
            buffer.Append('"');
        }
    }

    private static void AppendValue(object? value, ref CharBuffer buffer)
    {
        switch (value)
        {
            case null:
                break;
            case string text:
                PrometheusText.AppendEscapedLabelValue(ref buffer, text);
                break;
            case bool flag:
                buffer.Append(flag ? "true" : "false");
                break;
            // Numbers and enums format without allocating; none of them needs escaping.
            case ISpanFormattable formattable and not char:
                AppendFormatted(formattable, ref buffer);
                break;
            default:
                PrometheusText.AppendEscapedLabelValue(ref buffer, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static void AppendFormatted(ISpanFormattable value, ref CharBuffer buffer)
    {
        int written;
        var size = 32;
        while (!value.TryFormat(buffer.Free(size), out written, default, CultureInfo.InvariantCulture))
        {
            size *= 2;
        }
        buffer.Advance(written);
    }

    // Insertion sort: measurements carry a handful of tags.
    private static void SortByKey(ReadOnlySpan<KeyValuePair<string, object?>> tags, Span<int> order)
    {
        for (var i = 0; i < order.Length; i++)
        {
            var j = i;
            while (j > 0 && string.CompareOrdinal(tags[order[j - 1]].Key, tags[i].Key) > 0)
            {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
    }
}
