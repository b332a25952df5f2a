using MailCluster.Spool;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// Reads the schedule from the spool: wakes the actor of every domain with due recipients, then
/// sleeps until the next recipient is due, a trigger (new mail) or the poll interval.
/// </summary>
internal sealed partial class DeliveryScheduler : BackgroundService
{
    private const int DomainsPerPass = 1000;

    private readonly IDeliveryQueue _spool;
    private readonly DomainActorDirectory _directory;
    private readonly DeliveryTrigger _trigger;
    private readonly DeliveryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DeliveryScheduler> _logger;

    public DeliveryScheduler(IDeliveryQueue spool, DomainActorDirectory directory, DeliveryTrigger trigger, DeliveryOptions options, TimeProvider time, ILogger<DeliveryScheduler> logger)
    {
        _spool = spool;
        _directory = directory;
        _trigger = trigger;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _directory.StopAsync();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // An ingress-only silo (Delivery:Enabled=false) keeps accepting; another silo delivers.
        while (_options.Enabled && !stoppingToken.IsCancellationRequested)
        {
            var sleep = _options.PollInterval;
            try
            {
                var now = _time.GetUtcNow();
                foreach (var domain in await _spool.GetDueDomainsAsync(now, DomainsPerPass, stoppingToken))
                {
                    // The spool is this silo's own: every due domain is this silo's to deliver.
                    _directory.Wake(domain);
                }
                if (await _spool.GetNextDueTimeAsync(stoppingToken) is { } next && next > now && next - now < sleep)
                {
                    sleep = next - now;
                }
            }
            catch (Exception exception) when (exception is not (OutOfMemoryException or OperationCanceledException))
            {
                // A spool that cannot be read now (locked, I/O error) must not end delivery: try again next pass.
                SchedulerPassFailed(_logger, exception.Message);
            }
            try
            {
                await _trigger.WaitAsync(sleep, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(2010, LogLevel.Warning, "Scheduler could not read the spool: {Reason}")]
    private static partial void SchedulerPassFailed(ILogger logger, string reason);
}
