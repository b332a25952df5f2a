namespace MailCluster.Hosting;

/// <summary>
/// Logs an outage of something a loop calls (a grain, a store, the retry tier) once when it starts
/// and once when it ends, however many calls fail in between: a dead peer is one line per state
/// change, never a line per period.
/// </summary>
public sealed class OutageLog(Action<string, Exception> started, Action ended)
{
    private int _down;

    public bool IsDown => Volatile.Read(ref _down) == 1;

    /// <summary>A call (named by <paramref name="call"/>, for the log) failed: the first failure after an answer starts an outage.</summary>
    public void Failed(string call, Exception exception)
    {
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            started(call, exception);
        }
    }

    /// <summary>A call was answered: an outage, if any, is over.</summary>
    public void Answered()
    {
        if (Interlocked.Exchange(ref _down, 0) == 1)
        {
            ended();
        }
    }
}
