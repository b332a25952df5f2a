using System.Collections.Concurrent;
using MailCluster.Cluster.Submission;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>
/// Messages each submission user with an hourly limit sent in the last hour (a sliding window) on
/// this silo, plus, in a cluster, what the other silos last reported (from <see cref="ClusterSubmissionLimits"/>).
/// A place is reserved at MAIL and counts from then on; it becomes a sent message when the
/// message is committed and is given back when the transaction ends otherwise. Users are keyed
/// by their canonical name (<see cref="SubmissionUsers.Canonical"/>).
/// </summary>
internal sealed class HourlyCounts(TimeProvider time)
{
    private static readonly TimeSpan s_window = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, UserWindow> _users = new(StringComparer.Ordinal);
    private volatile IReadOnlyDictionary<string, int> _others = new Dictionary<string, int>();

    /// <summary>This silo's sent and reserved messages of <paramref name="user"/> in the last hour, plus the other silos'.</summary>
    public int SentInTheLastHour(string user) => Window(user).Count(time.GetUtcNow()) + _others.GetValueOrDefault(user);

    /// <summary>A place in <paramref name="user"/>'s hour, or null when its sent and reserved messages reach <paramref name="limit"/>.</summary>
    public HourlyReservation? TryReserve(string user, int limit)
    {
        var window = Window(user);
        var others = _others.GetValueOrDefault(user);
        return window.TryReserve(time.GetUtcNow(), limit - others) ? new HourlyReservation(window, time) : null;
    }

    /// <summary>This silo's counts, as reported to the cluster (users with none in the window left out).</summary>
    public IReadOnlyDictionary<string, int> Own()
    {
        var own = new Dictionary<string, int>(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        // Only users with an hourly limit are counted, so the map stays as small as the credentials file.
        foreach (var (user, window) in _users)
        {
            if (window.Count(now) is var count and > 0)
            {
                own[user] = count;
            }
        }
        return own;
    }

    /// <summary>The other silos' counts; empty when the cluster cannot be asked (per-silo limits apply).</summary>
    public void SetOthers(IReadOnlyDictionary<string, int> others) => _others = others;

    private UserWindow Window(string user) => _users.GetOrAdd(user, static _ => new UserWindow());

    /// <summary>One user's sent messages in the window and its places reserved by open transactions.</summary>
    internal sealed class UserWindow
    {
        private readonly Queue<DateTimeOffset> _sent = new();
        private int _reserved;

        public int Count(DateTimeOffset now)
        {
            lock (_sent)
            {
                Prune(now);
                return _sent.Count + _reserved;
            }
        }

        public bool TryReserve(DateTimeOffset now, int limit)
        {
            lock (_sent)
            {
                Prune(now);
                if (_sent.Count + _reserved >= limit)
                {
                    return false;
                }
                _reserved++;
                return true;
            }
        }

        public void Release(DateTimeOffset? sentAt)
        {
            lock (_sent)
            {
                _reserved--;
                if (sentAt is { } at)
                {
                    _sent.Enqueue(at);
                }
            }
        }

        /// <summary>Drops what left the window, so a queue holds at most an hour of one user's messages.</summary>
        private void Prune(DateTimeOffset now)
        {
            while (_sent.TryPeek(out var oldest) && oldest <= now - s_window)
            {
                _sent.Dequeue();
            }
        }
    }
}

/// <summary>A place in a user's hour held by one transaction: <see cref="Commit"/> makes it a sent message, disposing without it gives it back.</summary>
internal sealed class HourlyReservation(HourlyCounts.UserWindow window, TimeProvider time) : IDisposable
{
    private int _ended;

    public void Commit() => End(time.GetUtcNow());

    public void Dispose() => End(null);

    private void End(DateTimeOffset? sentAt)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            window.Release(sentAt);
        }
    }
}
