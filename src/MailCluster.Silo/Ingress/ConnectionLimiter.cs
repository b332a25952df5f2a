using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// Counts SMTP connections in total and per client address. Untrusted clients share all but
/// <c>reservedTrusted</c> of the slots and are limited per address; trusted clients count in the
/// total only, so untrusted ones holding idle sessions can never lock them out. A session that
/// authenticates leaves the untrusted share and its address's count. A slot is a disposable lease.
/// </summary>
internal sealed class ConnectionLimiter
{
    private readonly ConcurrentDictionary<IPAddress, int> _perClient = new();
    private readonly int _maxTotal;
    private readonly int _maxUntrusted;
    private readonly int _maxPerClient;
    private int _total;
    private int _untrusted;

    public ConnectionLimiter(int maxTotal, int maxPerClient, int reservedTrusted = 0)
    {
        _maxTotal = maxTotal;
        _maxUntrusted = maxTotal - reservedTrusted;
        _maxPerClient = maxPerClient;
    }

    public int Current => Volatile.Read(ref _total);

    /// <param name="client">The client's address.</param>
    /// <param name="trusted">A trusted client: counted in the total only.</param>
    /// <param name="lease">The slot, released by disposing it.</param>
    public bool TryAcquire(IPAddress client, bool trusted, [NotNullWhen(true)] out Lease? lease)
    {
        lease = null;
        if (!TryTake(ref _total, _maxTotal))
        {
            return false;
        }
        if (trusted)
        {
            lease = new Lease(this, null);
            return true;
        }
        if (!TryTake(ref _untrusted, _maxUntrusted))
        {
            Interlocked.Decrement(ref _total);
            return false;
        }
        if (_perClient.AddOrUpdate(client, 1, static (_, n) => n + 1) > _maxPerClient)
        {
            ReleaseClient(client);
            Interlocked.Decrement(ref _untrusted);
            Interlocked.Decrement(ref _total);
            return false;
        }
        lease = new Lease(this, client);
        return true;
    }

    private static bool TryTake(ref int count, int limit)
    {
        if (Interlocked.Increment(ref count) > limit)
        {
            Interlocked.Decrement(ref count);
            return false;
        }
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

    /// <summary>One connection's slot: in the total until disposed, and (untrusted) in the shared part and its client's count until then or until it authenticates.</summary>
    public sealed class Lease(ConnectionLimiter owner, IPAddress? counted) : IDisposable
    {
        private IPAddress? _counted = counted;
        private int _disposed;

        /// <summary>
        /// The session authenticated: it counts as trusted clients do (in the total only), so a
        /// submitting client's other connections are not refused for it.
        /// </summary>
        public void ExemptFromClientLimit()
        {
            if (Interlocked.Exchange(ref _counted, null) is { } client)
            {
                owner.ReleaseClient(client);
                Interlocked.Decrement(ref owner._untrusted);
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
