using System.Collections.Concurrent;
using System.Net;

namespace MailCluster.Silo.Ingress;

/// <summary>Counts SMTP connections in total and per client address; a slot is a disposable lease.</summary>
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

    public bool TryAcquire(IPAddress client, out Lease lease)
    {
        lease = default;
        if (Interlocked.Increment(ref _total) > _maxTotal)
        {
            Interlocked.Decrement(ref _total);
            return false;
        }
        if (_perClient.AddOrUpdate(client, 1, static (_, n) => n + 1) > _maxPerClient)
        {
            Release(client);
            return false;
        }
        lease = new Lease(this, client);
        return true;
    }

    private void Release(IPAddress client)
    {
        // Remove the entry at zero so the map does not grow with every address ever seen.
        if (_perClient.AddOrUpdate(client, 0, static (_, n) => n - 1) == 0)
        {
            _perClient.TryRemove(KeyValuePair.Create(client, 0));
        }
        Interlocked.Decrement(ref _total);
    }

    public readonly struct Lease(ConnectionLimiter? owner, IPAddress? client) : IDisposable
    {
        public void Dispose() => owner?.Release(client!);
    }
}
