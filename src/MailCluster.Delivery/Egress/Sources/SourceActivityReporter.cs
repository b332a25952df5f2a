using MailCluster.Delivery.Sites;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Egress.Sources;

/// <summary>
/// Every <see cref="Period"/>, tells each source's grain what this silo's connections did on it
/// since the last report (<see cref="SourceActivity"/>), one call per source that did something.
/// A report that fails is dropped, and so are the last seconds at stop (the cluster may be going
/// too): the counts are for operators, not limits.
/// </summary>
internal sealed partial class SourceActivityReporter(SourceActivity activity, ISourceAuthority sources, TimeProvider time, ILogger<SourceActivityReporter> logger) : BackgroundService
{
    /// <summary>How stale <c>mailctl sources</c> may be: a sixth of its minute.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ReportAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task ReportAsync()
    {
        var reports = activity.Take();
        try
        {
            await Task.WhenAll(reports.Select(r => sources.ReportAsync(r.Key, r.Value)));
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailed(logger, exception.Message);
        }
    }

    [LoggerMessage(2060, LogLevel.Warning, "Egress source activity could not be reported (mailctl sources will show less): {Reason}")]
    private static partial void ReportFailed(ILogger logger, string reason);
}
