using System.Collections.Concurrent;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>Messages each submission user sent in the last hour (a sliding window), per silo.</summary>
internal sealed class HourlyCounts(TimeProvider time)
{
    private static readonly TimeSpan s_window = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _sent = new(StringComparer.OrdinalIgnoreCase);

    public int SentInTheLastHour(string user)
    {
        var queue = _sent.GetOrAdd(user, static _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            var since = time.GetUtcNow() - s_window;
            while (queue.TryPeek(out var oldest) && oldest <= since)
            {
                queue.Dequeue();
            }
            return queue.Count;
        }
    }

    public void Sent(string user)
    {
        var queue = _sent.GetOrAdd(user, static _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            queue.Enqueue(time.GetUtcNow());
        }
    }
}
