using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MailCluster.Cluster.Submission;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>
/// Failed AUTH, counted twice: per client network (an IPv4 address, an IPv6 /64, since one host
/// holds a whole /64) and per target user name (known or not, so the answer tells nothing about
/// which names exist). An attempt counts as a failure from the moment it starts, before its
/// password is hashed, and a success withdraws only its own count: logging in as oneself forgives
/// no other guess. Each failure is answered a second later than the one before; past the limits
/// the client gets 421 and the user 454 for the block period. In a cluster the other silos' counts
/// (from <see cref="ClusterSubmissionLimits"/>) add to this silo's.
/// </summary>
internal sealed class AuthFailures(int clientLimit, int userLimit, TimeSpan blockFor, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, AuthFailureCount> _failures = new(StringComparer.Ordinal);
    private volatile IReadOnlyDictionary<string, AuthFailureCount> _others = new Dictionary<string, AuthFailureCount>();

    /// <summary>The key of a client's network: its IPv4 address, or the /64 of its IPv6 address.</summary>
    public static string ClientKey(IPAddress client)
    {
        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }
        if (client.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return client.ToString();
        }
        var bytes = client.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    public static string UserKey(string canonicalUser) => "user:" + canonicalUser;

    public bool IsClientBlocked(IPAddress client) => Combined(ClientKey(client)).Count >= clientLimit;

    /// <summary>
    /// Counts an attempt as a failure now, or returns null when the client or the user has used up
    /// its failures (then nothing stays counted and no password may be checked).
    /// </summary>
    public AuthAttempt? Begin(IPAddress client, string canonicalUser)
    {
        var (clientKey, userKey) = (ClientKey(client), UserKey(canonicalUser));
        // Counted first and checked after, so that parallel attempts cannot all pass a check made
        // before any of them counted.
        var now = time.GetUtcNow();
        Add(clientKey, now, +1);
        Add(userKey, now, +1);
        var (byClient, byUser) = (Combined(clientKey).Count, Combined(userKey).Count);
        if (byClient > clientLimit || byUser > userLimit)
        {
            Withdraw(clientKey, userKey);
            return null;
        }
        return new AuthAttempt(this, clientKey, userKey, TimeSpan.FromSeconds(byClient));
    }

    public bool IsUserBlocked(string canonicalUser) => Combined(UserKey(canonicalUser)).Count >= userLimit;

    /// <summary>This silo's live counts (older than the block period dropped), as reported to the cluster.</summary>
    public IReadOnlyDictionary<string, AuthFailureCount> Own()
    {
        var now = time.GetUtcNow();
        foreach (var stale in _failures.Where(f => now - f.Value.Last >= blockFor || f.Value.Count <= 0))
        {
            _failures.TryRemove(stale);
        }
        return _failures.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
    }

    /// <summary>The other silos' counts; empty when the cluster cannot be asked (per-silo limits apply).</summary>
    public void SetOthers(IReadOnlyDictionary<string, AuthFailureCount> others) => _others = others;

    internal void Withdraw(string clientKey, string userKey)
    {
        var now = time.GetUtcNow();
        Add(clientKey, now, -1);
        Add(userKey, now, -1);
    }

    /// <summary>A window restarts once the block period has passed since its last failure.</summary>
    private void Add(string key, DateTimeOffset now, int change) =>
        _failures.AddOrUpdate(
            key,
            _ => new AuthFailureCount(Math.Max(change, 0), now),
            (_, f) => now - f.Last >= blockFor
                ? new AuthFailureCount(Math.Max(change, 0), now)
                : new AuthFailureCount(Math.Max(f.Count + change, 0), change > 0 ? now : f.Last));

    /// <summary>This silo's and the others' live failures under <paramref name="key"/>, and the latest of them.</summary>
    private AuthFailureCount Combined(string key)
    {
        var now = time.GetUtcNow();
        var own = _failures.TryGetValue(key, out var f) && now - f.Last < blockFor ? f : default;
        var other = _others.TryGetValue(key, out var o) && now - o.Last < blockFor ? o : default;
        return new AuthFailureCount(own.Count + other.Count, own.Last > other.Last ? own.Last : other.Last);
    }
}

/// <summary>One AUTH attempt, counted as a failure until it is withdrawn (it succeeded, or no password was checked).</summary>
internal sealed class AuthAttempt(AuthFailures failures, string clientKey, string userKey, TimeSpan answerDelay)
{
    private int _withdrawn;

    /// <summary>How long to wait before answering this attempt if it fails.</summary>
    public TimeSpan AnswerDelay => answerDelay;

    public void Withdraw()
    {
        if (Interlocked.Exchange(ref _withdrawn, 1) == 0)
        {
            failures.Withdraw(clientKey, userKey);
        }
    }
}
