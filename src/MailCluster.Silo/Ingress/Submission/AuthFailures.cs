using System.Collections.Concurrent;
using System.Net;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>
/// Failed AUTH per client address: each failure is answered later than the one before (one more
/// second each), and past <c>limit</c> failures the address is refused with 421 for the block
/// period. A success clears the count. Per silo.
/// </summary>
internal sealed class AuthFailures(int limit, TimeSpan blockFor, TimeProvider time)
{
    private readonly ConcurrentDictionary<IPAddress, (int Count, DateTimeOffset Last)> _failures = new();

    public bool IsBlocked(IPAddress client) =>
        _failures.TryGetValue(client, out var f) && f.Count >= limit && time.GetUtcNow() - f.Last < blockFor;

    /// <summary>Counts a failure; returns how long to wait before answering it.</summary>
    public TimeSpan Failed(IPAddress client)
    {
        var now = time.GetUtcNow();
        var (count, _) = _failures.AddOrUpdate(client, (1, now), (_, f) => (now - f.Last >= blockFor ? 1 : f.Count + 1, now));
        return TimeSpan.FromSeconds(Math.Min(count, limit));
    }

    public void Succeeded(IPAddress client) => _failures.TryRemove(client, out _);
}
