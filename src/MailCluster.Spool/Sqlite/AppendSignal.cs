namespace MailCluster.Spool.Sqlite;

/// <summary>
/// Tells the journal's readers that events were committed. A reader takes the task before it
/// reads, so an append between its read and its wait is never missed.
/// </summary>
internal sealed class AppendSignal
{
    private TaskCompletionSource _next = NewSource();

    public Task Next() => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
