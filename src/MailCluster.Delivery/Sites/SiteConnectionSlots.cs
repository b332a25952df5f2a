namespace MailCluster.Delivery.Sites;

/// <summary>
/// The site's connection slots this silo holds, each a <see cref="SiteConnectionLease"/>.
/// Thread-safe: leases are disposed on their workers' threads.
/// </summary>
internal sealed class SiteConnectionSlots
{
    private readonly Lock _lock = new();
    private int _held;

    public int Held
    {
        get
        {
            lock (_lock)
            {
                return _held;
            }
        }
    }

    /// <summary>A slot, if fewer than <paramref name="granted"/> are held and <paramref name="admit"/> agrees (asked only then: it may spend a token).</summary>
    public SiteConnectionLease? TryTake(int granted, Func<bool> admit)
    {
        lock (_lock)
        {
            if (_held >= granted || !admit())
            {
                return null;
            }
            _held++;
            return new SiteConnectionLease(this);
        }
    }

    internal void Release()
    {
        lock (_lock)
        {
            _held--;
        }
    }
}
