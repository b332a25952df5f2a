using MailCluster.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailCluster.Spool;

/// <summary>
/// Logs the spool's state when the silo starts, then reads its statistics every few seconds, so
/// metric scrapes (which must not do I/O) and dashboards see a recent snapshot without querying
/// the database on every scrape.
/// </summary>
internal sealed class SpoolStatisticsSampler : BackgroundService
{
    /// <summary>How stale the spool's gauges may be.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    private readonly ISpoolStatistics _spool;
    private readonly ISpoolIntake _intake;
    private readonly SpoolOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SpoolStatisticsSampler> _logger;

    public SpoolStatisticsSampler(ISpoolStatistics spool, ISpoolIntake intake, SpoolMetrics metrics, SpoolOptions options, TimeProvider time, ILogger<SpoolStatisticsSampler> logger)
    {
        _spool = spool;
        _intake = intake;
        _options = options;
        _time = time;
        _logger = logger;
        metrics.ObserveStatistics(() => Latest, time);
    }

    /// <summary>The most recent snapshot, or null before the first one (or while the spool cannot be read).</summary>
    public SpoolStatistics? Latest { get; private set; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var counts = await _spool.CountAsync(cancellationToken);
        Log.Opened(_logger, Path.GetFullPath(_options.Path), counts.Messages, counts.QueuedRecipients, _intake.Headroom.FreeBytes, _intake.Headroom.Reserve);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, _time);
        do
        {
            try
            {
                Latest = await _spool.GetStatisticsAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not (OutOfMemoryException or OperationCanceledException))
            {
                // Unreadable now: report nothing rather than stale numbers; the next sample tries again.
                Latest = null;
            }
        }
        while (await timer.TryWaitAsync(stoppingToken));
    }
}
