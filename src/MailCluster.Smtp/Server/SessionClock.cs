using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>
/// A session's two time limits: <see cref="SmtpServerLimits.IdleTimeout"/> since its last input
/// (RFC 5321 4.5.3.2.7) and <see cref="SmtpServerLimits.MaxSessionDuration"/> since it started.
/// The session marks activity on its own thread; the heartbeat checks from the timer's thread, so
/// the shared fields are read and written as volatile.
/// </summary>
internal sealed class SessionClock(TimeProvider time, TimeSpan idleTimeout, TimeSpan maxDuration)
{
    private enum TimeLimit
    {
        None,
        Idle,
        Session,
    }

    private long _started;
    private long _lastActivity;
    private volatile TimeLimit _expired;

    /// <summary>The 421 for the limit that ended the session, or null while neither did.</summary>
    public SmtpReply? Expiry => _expired switch
    {
        TimeLimit.Idle => SmtpReplies.IdleTimeout,
        TimeLimit.Session => SmtpReplies.SessionTooLong,
        _ => null,
    };

    /// <summary>
    /// Starts both limits. The session counts as active from here: an implicit-TLS handshake comes
    /// before the first read, and a heartbeat must not find a session that has never been active.
    /// </summary>
    public void Start()
    {
        _started = time.GetTimestamp();
        Volatile.Write(ref _lastActivity, _started);
    }

    public void MarkActive() => Volatile.Write(ref _lastActivity, time.GetTimestamp());

    /// <summary>True when this check is the one that found a limit passed; later checks say false.</summary>
    public bool Expire(long now)
    {
        if (_expired != TimeLimit.None)
        {
            return false;
        }
        _expired = time.GetElapsedTime(Volatile.Read(ref _lastActivity), now) > idleTimeout ? TimeLimit.Idle
            : time.GetElapsedTime(_started, now) > maxDuration ? TimeLimit.Session
            : TimeLimit.None;
        return _expired != TimeLimit.None;
    }
}
