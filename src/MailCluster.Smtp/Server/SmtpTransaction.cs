using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>The envelope of the mail transaction in progress (RFC 5321 3.3).</summary>
public sealed class SmtpTransaction
{
    private readonly List<Recipient> _recipients = [];

    public SmtpTransaction(ReversePath reversePath, MailParameters parameters)
    {
        ReversePath = reversePath;
        Parameters = parameters;
    }

    public ReversePath ReversePath { get; }

    public MailParameters Parameters { get; }

    public IReadOnlyList<Recipient> Recipients => _recipients;

    /// <summary>Set by the host when content starts; quoted in Received and in the final 250.</summary>
    public string? QueueId { get; set; }

    internal void Add(Recipient recipient) => _recipients.Add(recipient);
}
