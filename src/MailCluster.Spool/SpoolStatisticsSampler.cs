namespace MailCluster.Spool;

/// <summary>
/// Reads the spool's statistics every few seconds, so metric scrapes (which must not do I/O) and
/// dashboards see a recent snapshot without querying the database on every scrape.
/// </summary>
public sealed class SpoolStatisticsSampler : IAsyncDisposable
{
    private readonly ISpoolStatistics _spool;
    private readonly ITimer _timer;
    private int _sampling;

    public SpoolStatisticsSampler(ISpoolStatistics spool, SpoolMetrics metrics, TimeProvider time, TimeSpan period)
    {
        _spool = spool;
        metrics.ObserveStatistics(() => Latest, time);
        _timer = time.CreateTimer(_ => _ = SampleAsync(), null, TimeSpan.Zero, period);
    }

    /// <summary>The most recent snapshot, or null before the first one (or while the spool cannot be read).</summary>
    public SpoolStatistics? Latest { get; private set; }

    public async ValueTask DisposeAsync() => await _timer.DisposeAsync();

    private async Task SampleAsync()
    {
        // One sample at a time: a slow disk must not pile up queries.
        if (Interlocked.Exchange(ref _sampling, 1) == 1)
        {
            return;
        }
        try
        {
            Latest = await _spool.GetStatisticsAsync(CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Unreadable now: report nothing rather than stale numbers; the next sample tries again.
            Latest = null;
        }
        finally
        {
            Volatile.Write(ref _sampling, 0);
        }
    }
}
