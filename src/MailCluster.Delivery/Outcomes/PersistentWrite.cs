using MailCluster.Spool;

namespace MailCluster.Delivery.Outcomes;

/// <summary>A spool write that must happen: the outcome of an attempt already made, or its DSN.</summary>
internal static class PersistentWrite
{
    private const int Retries = 24;
    private const int LongestPauseSeconds = 30;

    /// <summary>
    /// A spool that is unavailable for a while (locked, disk trouble) gets tries 1 s to 30 s apart for
    /// about ten minutes; after that the outcome waits for the spool owner's next start.
    /// </summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> write, TimeProvider time)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await write();
            }
            catch (SpoolUnavailableException) when (attempt < Retries)
            {
                // 1, 2, 4, 8, 16, then 30 s apart.
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(LongestPauseSeconds, 1 << Math.Min(attempt, 5))), time);
            }
        }
    }
}
