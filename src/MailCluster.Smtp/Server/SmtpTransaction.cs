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

    /// <summary>
    /// What the host reserved for this transaction at MAIL (a place in its user's hourly count), or
    /// null. The session disposes it when the transaction ends, committed or not (RSET, EHLO, a
    /// refusal, the connection's end); a host that committed the message has made it permanent first.
    /// </summary>
    public IDisposable? Reservation { get; set; }

    internal void Add(Recipient recipient) => _recipients.Add(recipient);
}
