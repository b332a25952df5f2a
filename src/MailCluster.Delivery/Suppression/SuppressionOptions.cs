using MailCluster.Smtp.Protocol;

namespace MailCluster.Delivery.Suppression;

/// <summary>The suppression list (section <c>Suppression</c>): which hard bounces add an address, and how often silos read others' changes.</summary>
public sealed class SuppressionOptions
{
    public const string Section = "Suppression";

    /// <summary>Enhanced status codes of a remote permanent failure that suppress the address (RFC 3463: bad mailbox, bad system, invalid address).</summary>
    public string Statuses { get; set; } = "5.1.1,5.1.2,5.1.10";

    /// <summary>How often a silo reads the list's changes from the store (other silos' bounces and operators' edits).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    public IReadOnlyList<EnhancedStatusCode> StatusList() =>
        [.. Statuses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => EnhancedStatusCode.TryParse(s, out var code) ? code : default)];

    public IEnumerable<string> Validate(string section = Section)
    {
        foreach (var status in Statuses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
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
}
