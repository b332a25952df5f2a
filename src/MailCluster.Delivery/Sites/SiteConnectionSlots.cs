namespace MailCluster.Delivery.Sites;

/// <summary>
/// The site's connection slots this silo holds, each a <see cref="SiteConnectionLease"/>, and the
/// token that cuts them all when the silo's lease of the site ran out unrenewed. Thread-safe:
/// leases are disposed on their workers' threads.
/// </summary>
internal sealed class SiteConnectionSlots : IDisposable
{
    private readonly Lock _lock = new();
    private int _held;
    private CancellationTokenSource _lapse = new();

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
            return new SiteConnectionLease(this, _lapse.Token);
        }
    }

    /// <summary>
    /// Cuts every connection open now, so that when the grain gives the share to another silo this one
    /// holds nothing of it; false when none is open. Leases taken later get a fresh token.
    /// </summary>
    public bool Lapse()
    {
        CancellationTokenSource lapsed;
        lock (_lock)
        {
            if (_held == 0)
            {
                return false;
            }
            (lapsed, _lapse) = (_lapse, new CancellationTokenSource());
        }
        // Not disposed: a worker may register on its token a moment later (the cut then runs at once).
        lapsed.Cancel();
        return true;
    }

    public void Dispose() => _lapse.Dispose();

    internal void Release()
    {
        lock (_lock)
        {
            _held--;
        }
    }
}
