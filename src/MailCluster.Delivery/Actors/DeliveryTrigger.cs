namespace MailCluster.Delivery.Actors;

/// <summary>Wakes the scheduler as soon as something became due (a message accepted, a DSN spooled), instead of at its next poll.</summary>
public sealed class DeliveryTrigger : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        // At most one pending wake: many notifications while the scheduler works collapse into one.
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another notifier got there first; one wake is enough.
            }
        }
    }

    public void Dispose() => _signal.Dispose();

    /// <summary>Returns at the next notification or after <paramref name="timeout"/> on the given clock, whichever is first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(timeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        try
        {
            await _signal.WaitAsync(either.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The timeout: time to look at the spool again.
        }
    }
}
