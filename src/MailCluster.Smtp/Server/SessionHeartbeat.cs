using System.Collections.Concurrent;

namespace MailCluster.Smtp.Server;

/// <summary>
/// One timer per silo that times out idle sessions (RFC 5321 4.5.3.2.7), as Kestrel's heartbeat
/// does, instead of a timer per session; it also tells every session to drain at shutdown.
/// Tests call <see cref="OnHeartbeat"/> after moving a fake clock.
/// </summary>
public sealed class SessionHeartbeat : IDisposable
{
    private readonly ConcurrentDictionary<SmtpServerSession, byte> _sessions = new();
    private readonly TimeProvider _time;
    private readonly ITimer? _timer;

    public SessionHeartbeat(TimeProvider time, TimeSpan? period = null)
    {
        _time = time;
        _timer = period is { } p ? time.CreateTimer(_ => OnHeartbeat(), null, p, p) : null;
    }

    public int SessionCount => _sessions.Count;

    internal void Register(SmtpServerSession session) => _sessions.TryAdd(session, 0);

    internal void Unregister(SmtpServerSession session) => _sessions.TryRemove(session, out _);

    public void OnHeartbeat()
    {
        var now = _time.GetTimestamp();
        foreach (var session in _sessions.Keys)
        {
            session.CheckIdle(now);
        }
    }

    /// <summary>Shutdown: idle sessions get 421 now, sessions inside a transaction after it ends.</summary>
    public void DrainAll()
    {
        foreach (var session in _sessions.Keys)
        {
            session.Drain();
        }
    }

    public void Dispose() => _timer?.Dispose();
}
