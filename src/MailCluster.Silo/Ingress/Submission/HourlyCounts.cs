using System.Collections.Concurrent;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>
/// Messages each submission user with an hourly limit sent in the last hour (a sliding window) on
/// this silo, plus, in a cluster, what the other silos last reported (from <see cref="ClusterSubmissionLimits"/>).
/// </summary>
internal sealed class HourlyCounts(TimeProvider time)
{
    private static readonly TimeSpan s_window = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _sent = new(StringComparer.OrdinalIgnoreCase);
    private volatile IReadOnlyDictionary<string, int> _others = new Dictionary<string, int>();

    public int SentInTheLastHour(string user) => Update(user, sent: false) + _others.GetValueOrDefault(user);

    public void Sent(string user) => Update(user, sent: true);

    /// <summary>This silo's counts, as reported to the cluster (users with none in the window left out).</summary>
    public IReadOnlyDictionary<string, int> Own()
    {
        var own = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        // Only users with an hourly limit are counted, so the map stays as small as the credentials file.
        foreach (var user in _sent.Keys)
        {
            if (Update(user, sent: false) is var count and > 0)
            {
                own[user] = count;
            }
        }
        return own;
    }

    /// <summary>The other silos' counts; empty when the cluster cannot be asked (per-silo limits apply).</summary>
    public void SetOthers(IReadOnlyDictionary<string, int> others) => _others = others;

    /// <summary>Drops what left the window (so a queue holds at most an hour of one user's messages), then counts.</summary>
    private int Update(string user, bool sent)
    {
        var queue = _sent.GetOrAdd(user, static _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            var now = time.GetUtcNow();
            while (queue.TryPeek(out var oldest) && oldest <= now - s_window)
            {
                queue.Dequeue();
            }
            if (sent)
            {
                queue.Enqueue(now);
            }
            return queue.Count;
        }
    }
}
