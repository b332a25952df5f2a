namespace MailCluster.Hosting;

public static class PeriodicTimerExtensions
{
    /// <summary>The next tick: true when it came, false when the timer was disposed or the loop is stopping (never throws for that).</summary>
    public static async Task<bool> TryWaitAsync(this PeriodicTimer timer, CancellationToken stopping)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stopping);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
