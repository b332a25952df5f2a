using System.Collections.Concurrent;
using System.Net;

namespace MailCluster.Silo.Ingress;

/// <summary>Counts SMTP connections in total and per client address (trusted clients in total only); a slot is a disposable lease.</summary>
internal sealed class ConnectionLimiter
{
    private readonly ConcurrentDictionary<IPAddress, int> _perClient = new();
    private readonly int _maxTotal;
    private readonly int _maxPerClient;
    private int _total;

    public ConnectionLimiter(int maxTotal, int maxPerClient)
    {
        _maxTotal = maxTotal;
        _maxPerClient = maxPerClient;
    }

    public int Current => Volatile.Read(ref _total);

    /// <param name="client">The client's address.</param>
    /// <param name="perClientExempt">A trusted client: counted in the total only.</param>
    /// <param name="lease">The slot, released by disposing it.</param>
    public bool TryAcquire(IPAddress client, bool perClientExempt, out Lease lease)
    {
        lease = default;
        if (Interlocked.Increment(ref _total) > _maxTotal)
        {
            Interlocked.Decrement(ref _total);
            return false;
        }
        var counted = perClientExempt ? null : client;
        if (counted is not null && _perClient.AddOrUpdate(counted, 1, static (_, n) => n + 1) > _maxPerClient)
        {
            Release(counted);
            return false;
        }
        lease = new Lease(this, counted);
        return true;
    }

    private void Release(IPAddress? counted)
    {
        // Remove the entry at zero so the map does not grow with every address ever seen.
        if (counted is not null && _perClient.AddOrUpdate(counted, 0, static (_, n) => n - 1) == 0)
        {
            _perClient.TryRemove(KeyValuePair.Create(counted, 0));
        }
        Interlocked.Decrement(ref _total);
    }

    public readonly struct Lease(ConnectionLimiter? owner, IPAddress? counted) : IDisposable
    {
        public void Dispose() => owner?.Release(counted);
    }
}
