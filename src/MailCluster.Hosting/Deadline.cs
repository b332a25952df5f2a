namespace MailCluster.Hosting;

/// <summary>
/// A token that is cancelled when the caller's is, or when a timeout has passed on the injected
/// clock: unlike <c>CancelAfter</c>, whose timer is the system's, a test's fake clock moves it.
/// </summary>
public sealed class Deadline : IDisposable
{
    private readonly CancellationTokenSource _timer;
    private readonly CancellationTokenSource _linked;

    public Deadline(TimeSpan timeout, TimeProvider time, CancellationToken outer)
    {
        _timer = new CancellationTokenSource(timeout, time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(outer, _timer.Token);
    }

    public CancellationToken Token => _linked.Token;

    /// <summary>True when the timeout, not the caller, cancelled the token.</summary>
    public bool HasExpired => _timer.IsCancellationRequested;

    public void Dispose()
    {
        _linked.Dispose();
        _timer.Dispose();
    }
}
