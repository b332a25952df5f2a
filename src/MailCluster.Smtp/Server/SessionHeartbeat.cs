using System.Collections.Concurrent;

namespace MailCluster.Smtp.Server;

/// <summary>
/// The sessions of one silo, for one heartbeat that times out idle sessions (RFC 5321 4.5.3.2.7)
/// and sessions past their time limit,
/// as Kestrel's heartbeat does, instead of a timer per session; it also tells every session to
/// drain at shutdown. The host's timer calls <see cref="OnHeartbeat"/>; tests call it after moving a fake clock.
/// </summary>
public sealed class SessionHeartbeat(TimeProvider time)
{
    private readonly ConcurrentDictionary<SmtpServerSession, byte> _sessions = new();

    public int SessionCount => _sessions.Count;

    internal void Register(SmtpServerSession session) => _sessions.TryAdd(session, 0);

    internal void Unregister(SmtpServerSession session) => _sessions.TryRemove(session, out _);

    public void OnHeartbeat()
    {
        var now = time.GetTimestamp();
        foreach (var session in _sessions.Keys)
        {
            session.CheckTime(now);
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
}
