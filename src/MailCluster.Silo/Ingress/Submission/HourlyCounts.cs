using System.Collections.Concurrent;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>Messages each submission user with an hourly limit sent in the last hour (a sliding window), per silo.</summary>
internal sealed class HourlyCounts(TimeProvider time)
{
    private static readonly TimeSpan s_window = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _sent = new(StringComparer.OrdinalIgnoreCase);

    public int SentInTheLastHour(string user) => Update(user, sent: false);

    public void Sent(string user) => Update(user, sent: true);

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
