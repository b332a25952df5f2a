using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace MailCluster.Silo.Ingress;

/// <summary>Counts SMTP connections in total and per client address (trusted and authenticated clients in total only); a slot is a disposable lease.</summary>
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
    public bool TryAcquire(IPAddress client, bool perClientExempt, [NotNullWhen(true)] out Lease? lease)
    {
        lease = null;
        if (Interlocked.Increment(ref _total) > _maxTotal)
        {
            Interlocked.Decrement(ref _total);
            return false;
        }
        var counted = perClientExempt ? null : client;
        if (counted is not null && _perClient.AddOrUpdate(counted, 1, static (_, n) => n + 1) > _maxPerClient)
        {
            ReleaseClient(counted);
            Interlocked.Decrement(ref _total);
            return false;
        }
        lease = new Lease(this, counted);
        return true;
    }

    private void ReleaseClient(IPAddress counted)
    {
        // Remove the entry at zero so the map does not grow with every address ever seen.
        if (_perClient.AddOrUpdate(counted, 0, static (_, n) => n - 1) == 0)
        {
            _perClient.TryRemove(KeyValuePair.Create(counted, 0));
        }
    }

    /// <summary>One connection's slot: in the total until disposed, and in its client's count until then or until exempted.</summary>
    public sealed class Lease(ConnectionLimiter owner, IPAddress? counted) : IDisposable
    {
        private IPAddress? _counted = counted;
        private int _disposed;

        /// <summary>
        /// The session authenticated: it no longer counts against its client's limit (as trusted
        /// clients never do), so a submitting client's other connections are not refused for it.
        /// </summary>
        public void ExemptFromClientLimit()
        {
            if (Interlocked.Exchange(ref _counted, null) is { } client)
            {
                owner.ReleaseClient(client);
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                ExemptFromClientLimit();
                Interlocked.Decrement(ref owner._total);
            }
        }
    }
}
