using MailCluster.Delivery.Actors;

namespace MailCluster.Delivery.Tests.Actors;

/// <summary>A domain actor's mailbox for tests of its parts: keeps what is posted, or refuses it once closed.</summary>
internal sealed class RecordingMailbox(string domain = "dest.test") : IDomainMailbox
{
    private readonly List<DomainCommand> _posted = [];

    public string Domain => domain;

    public bool Closed { get; set; }

    public IReadOnlyList<DomainCommand> Posted
    {
        get
        {
            lock (_posted)
            {
                return [.. _posted];
            }
        }
    }

    public bool TryPost(DomainCommand command)
    {
        lock (_posted)
        {
            if (!Closed)
            {
                _posted.Add(command);
            }
            return !Closed;
        }
    }

    public ValueTask<bool> PostAsync(DomainCommand command) => ValueTask.FromResult(TryPost(command));
}
