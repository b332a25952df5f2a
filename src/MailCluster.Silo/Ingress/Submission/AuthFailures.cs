using System.Collections.Concurrent;
using System.Net;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>
/// Failed AUTH per client address: each failure is answered later than the one before (one more
/// second each), and past <c>limit</c> failures the address is refused with 421 for the block
/// period. A success clears this silo's count. In a cluster the other silos' counts (from
/// <see cref="ClusterSubmissionLimits"/>) add to this silo's, so spreading guesses over silos does
/// not buy more of them.
/// </summary>
internal sealed class AuthFailures(int limit, TimeSpan blockFor, TimeProvider time)
{
    private readonly ConcurrentDictionary<IPAddress, AuthFailureCount> _failures = new();
    private volatile IReadOnlyDictionary<string, AuthFailureCount> _others = new Dictionary<string, AuthFailureCount>();

    public bool IsBlocked(IPAddress client)
    {
        var (count, last) = Combined(client);
        return count >= limit && time.GetUtcNow() - last < blockFor;
    }

    /// <summary>Counts a failure; returns how long to wait before answering it.</summary>
    public TimeSpan Failed(IPAddress client)
    {
        var now = time.GetUtcNow();
        _failures.AddOrUpdate(client, new AuthFailureCount(1, now), (_, f) => new AuthFailureCount(now - f.Last >= blockFor ? 1 : f.Count + 1, now));
        return TimeSpan.FromSeconds(Math.Min(Combined(client).Count, limit));
    }

    public void Succeeded(IPAddress client) => _failures.TryRemove(client, out _);

    /// <summary>This silo's live counts (older than the block period dropped), as reported to the cluster.</summary>
    public IReadOnlyDictionary<string, AuthFailureCount> Own()
    {
        var now = time.GetUtcNow();
        foreach (var stale in _failures.Where(f => now - f.Value.Last >= blockFor))
        {
            _failures.TryRemove(stale);
        }
        return _failures.ToDictionary(f => f.Key.ToString(), f => f.Value);
    }

    /// <summary>The other silos' counts; empty when the cluster cannot be asked (per-silo limits apply).</summary>
    public void SetOthers(IReadOnlyDictionary<string, AuthFailureCount> others) => _others = others;

    /// <summary>This silo's and the others' live failures of <paramref name="client"/>, and the latest of them.</summary>
    private AuthFailureCount Combined(IPAddress client)
    {
        var now = time.GetUtcNow();
        var own = _failures.TryGetValue(client, out var f) && now - f.Last < blockFor ? f : default;
        var other = _others.TryGetValue(client.ToString(), out var o) && now - o.Last < blockFor ? o : default;
        return new AuthFailureCount(own.Count + other.Count, own.Last > other.Last ? own.Last : other.Last);
    }
}
