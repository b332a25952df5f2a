using System.Text;

namespace MailCluster.Cli;

/// <summary>Left-aligned text columns, each as wide as its widest cell, two spaces apart.</summary>
public static class TableRenderer
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.Prepend(headers).ToList();
        var widths = headers.Select((_, column) => all.Max(row => row[column].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in all)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd());
        }
        return text.ToString();
    }
}
