using System.Text;

namespace MailCluster.Mime.Headers;

/// <summary>Writes <c>Name: value</c> fields folded at spaces (RFC 5322 2.2.3), so no line nears the 998-octet limit (2.1.1).</summary>
internal static class HeaderFolding
{
    // RFC 5322 2.1.1: lines SHOULD be at most 78 characters and MUST be at most 998 octets.
    private const int PreferredLength = 78;

    // A longer run without spaces is cut; 200 characters are at most 800 UTF-8 octets.
    private const int MaxWord = 200;

    /// <summary>Appends the field and its CRLF. Control characters in <paramref name="value"/> become spaces.</summary>
    public static void Append(StringBuilder output, string name, string value)
    {
        output.Append(name).Append(':');
        AppendValue(output, name, value);
    }

    /// <summary>The part after <c>Name:</c>, folded as <see cref="Append"/> folds it and ending in CRLF (a MIME library's raw header value).</summary>
    public static string FoldValue(string name, string value)
    {
        var output = new StringBuilder(value.Length + 8);
        AppendValue(output, name, value);
        return output.ToString();
    }

    private static void AppendValue(StringBuilder output, string name, string value)
    {
        var length = name.Length + 1;
        foreach (var word in Words(value))
        {
            if (length + 1 + word.Length > PreferredLength && length > name.Length + 1)
            {
                output.Append("\r\n");
                length = 0;
            }
            output.Append(' ').Append(word);
            length += 1 + word.Length;
        }
        output.Append("\r\n");
    }

    private static IEnumerable<string> Words(string value)
    {
        var clean = string.Create(value.Length, value, (span, v) =>
        {
            for (var i = 0; i < v.Length; i++)
            {
                span[i] = char.IsControl(v[i]) ? ' ' : v[i];
            }
        });
        foreach (var word in clean.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            for (var start = 0; start < word.Length; start += MaxWord)
            {
                yield return word.Substring(start, Math.Min(MaxWord, word.Length - start));
            }
        }
    }
}
