using System.Globalization;
using System.Text;
using MailCluster.Cluster.Submission;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>Client-supplied text made safe for a log line: control and format characters escaped, length bounded (no forged lines).</summary>
internal static class LogText
{
    private const int MaxLength = 128;

    public static string Quote(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, MaxLength) + 2).Append('"');
        foreach (var rune in text.EnumerateRunes())
        {
            if (builder.Length > MaxLength)
            {
                builder.Append('…');
                break;
            }
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                || rune.Value is '"' or '\\')
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{rune.Value:x4}");
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }
        return builder.Append('"').ToString();
    }
}
