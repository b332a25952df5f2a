using MailCluster.Delivery.Responses;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Delivery.Suppression;

/// <summary>The suppression list, bound from <c>Suppression</c>.</summary>
public sealed class SuppressionOptions
{
    public const string Section = "Suppression";

    /// <summary>Categories of a recipient's permanent failure that suppress its address (the response rules' or the status's; see <c>ReplyCategory</c>).</summary>
    public string Categories { get; set; } = "InvalidRecipient,BadDomain,InactiveMailbox";

    /// <summary>Enhanced status codes that suppress the address too (the key before categories; still honoured, empty by default).</summary>
    public string Statuses { get; set; } = string.Empty;

    /// <summary>How often a silo reads the list's changes from the store (other silos' bounces and operators' edits).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    internal IReadOnlyList<EnhancedStatusCode> StatusList() =>
        [.. Items(Statuses).Select(s => EnhancedStatusCode.TryParse(s, out var code) ? code : default)];

    internal IReadOnlyList<ReplyCategory> CategoryList() =>
        [.. Items(Categories).Select(c => Enum.TryParse<ReplyCategory>(c, ignoreCase: true, out var category) ? category : default)];

    public IEnumerable<string> Validate(string section = Section)
    {
        foreach (var category in Items(Categories))
        {
            if (!Enum.TryParse<ReplyCategory>(category, ignoreCase: true, out _) || int.TryParse(category, out _))
            {
                yield return $"{section}:Categories has '{category}'; expected categories: {string.Join(", ", Enum.GetNames<ReplyCategory>())}";
            }
        }
        foreach (var status in Items(Statuses))
        {
            if (!EnhancedStatusCode.TryParse(status, out var code) || code.Class != 5)
            {
                yield return $"{section}:Statuses has '{status}'; expected permanent enhanced status codes (RFC 3463), e.g. 5.1.1";
            }
        }
        if (RefreshInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"{section}:RefreshInterval is {RefreshInterval}; must be at least 00:00:01";
        }
    }

    private static string[] Items(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
