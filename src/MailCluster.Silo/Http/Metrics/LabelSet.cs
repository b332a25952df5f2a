using System.Globalization;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// Renders measurement tags as Prometheus labels (<c>code="550",type="MX"</c>), sorted by key so
/// that the same tags in any order name the same series. The rendering is also the series key.
/// </summary>
internal static class LabelSet
{
    private const int StackSortLimit = 16;

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
