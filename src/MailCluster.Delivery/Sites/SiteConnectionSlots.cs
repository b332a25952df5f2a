namespace MailCluster.Delivery.Sites;

/// <summary>
/// The site's connection slots this silo holds, each a <see cref="SiteConnectionLease"/>, and the
/// signal that cuts them all. Thread-safe: leases are disposed on their workers' threads.
/// </summary>
internal sealed class SiteConnectionSlots : IDisposable
{
    private readonly Lock _lock = new();
    private CancellationTokenSource _cut = new();
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
            return new SiteConnectionLease(this, _cut.Token);
        }
    }

    /// <summary>Fires <see cref="SiteConnectionLease.Cut"/> of every slot held now; slots taken later get a fresh signal.</summary>
    public void CutAll()
    {
        CancellationTokenSource cut;
        lock (_lock)
        {
            (cut, _cut) = (_cut, new CancellationTokenSource());
        }
        // Outside the lock: the registrations abort sockets. Not disposed: a worker may register on it still.
        cut.Cancel();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _cut.Dispose();
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
