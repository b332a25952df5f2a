namespace MailCluster.Hosting;

/// <summary>
/// The moment at SIGTERM by which work in flight must end: <c>Smtp:DrainTimeout</c> after the host
/// began stopping. SMTP sessions finish their transaction by then; delivery cuts the transactions
/// still in flight then (deferred, never lost), so that the retry tier's hand-off and the pod's
/// end come within its grace period even when an MX is slow to answer the final dot.
/// </summary>
public sealed class DrainDeadline(TimeSpan timeout, TimeProvider time) : IDisposable
{
    private readonly CancellationTokenSource _passed = new();
    private readonly Lock _lock = new();
    private ITimer? _timer;

    public TimeSpan Timeout => timeout;

    /// <summary>Cancelled when the deadline has passed.</summary>
    public CancellationToken Passed => _passed.Token;

    /// <summary>The host began stopping: the deadline runs from now (once).</summary>
    public void Start()
    {
        lock (_lock)
        {
            _timer ??= time.CreateTimer(_ => _passed.Cancel(), null, timeout, System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _passed.Dispose();
    }
}
