using MailCluster.Smtp.Protocol;

namespace MailCluster.Silo.Ingress;

/// <summary>Feedback loops (section <c>Fbl</c>): the addresses registered with providers' complaint programs.</summary>
internal sealed class FeedbackLoopOptions
{
    public const string Section = "Fbl";

    /// <summary>Comma-separated addresses whose mail is read as complaints, never relayed; empty: none.</summary>
    public string Addresses { get; set; } = "";

    public IEnumerable<string> AddressList() => Addresses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IEnumerable<string> Validate()
    {
        foreach (var address in AddressList().Where(a => !Mailbox.TryParse(a, out _)))
        {
            yield return $"Fbl:Addresses names '{address}', which is not an address (local@domain).";
        }
    }
}
