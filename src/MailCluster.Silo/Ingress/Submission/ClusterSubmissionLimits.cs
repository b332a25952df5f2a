using MailCluster.Cluster.Submission;
using MailCluster.Cluster;
using MailCluster.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>
/// Makes the submission limits (messages per user and hour, the AUTH lockout) hold across the
/// cluster: once a <see cref="ClusterTimings.SubmissionExchangePeriod"/> this silo reports its own counts to the
/// <see cref="ISubmissionLimitsGrain"/> and keeps the others' sums it gets back, which ingress adds
/// to its own. Ingress never waits on this: no grain or storage call per command. When the grain
/// has not answered for <see cref="ClusterTimings.SubmissionStaleAfter"/>, the others' counts are dropped and the limits
/// are per silo until it answers again.
/// </summary>
internal sealed partial class ClusterSubmissionLimits : BackgroundService
{
    private readonly IGrainFactory _grains;
    private readonly string _silo;
    private readonly HourlyCounts _hourly;
    private readonly AuthFailures _authFailures;
    private readonly TimeProvider _time;
    private readonly OutageLog _outage;
    private readonly ClusterTimings _timings;
    private DateTimeOffset _lastAnswer;
    private PeriodicTimer? _timer;

    public ClusterSubmissionLimits(IGrainFactory grains, string silo, HourlyCounts hourly, AuthFailures authFailures, ClusterTimings timings, TimeProvider time, ILogger logger)
    {
        _timings = timings;
        _grains = grains;
        _silo = silo;
        _hourly = hourly;
        _authFailures = authFailures;
        _time = time;
        _outage = new OutageLog((_, exception) => GrainUnreachable(logger, exception.GetType().Name, exception.Message), () => GrainBack(logger));
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Created here, not in ExecuteAsync (another thread), so a fake clock's first advance finds it.
        _timer = new PeriodicTimer(_timings.SubmissionExchangePeriod, _time);
        _lastAnswer = _time.GetUtcNow();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = _timer!;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await ExchangeAsync(stoppingToken);
        }
    }

    /// <summary>One report and answer; a failure leaves the last answer in force until it is stale.</summary>
    internal async Task ExchangeAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timeout = new Deadline(_timings.SubmissionCallTimeout, _time, stoppingToken);
            var own = new SubmissionCounts(_hourly.Own(), _authFailures.Own());
            var others = await _grains.GetGrain<ISubmissionLimitsGrain>(0).ExchangeAsync(_silo, own, timeout.Token);
            _hourly.SetOthers(others.SentInTheLastHour);
            _authFailures.SetOthers(others.AuthFailures);
            _lastAnswer = _time.GetUtcNow();
            _outage.Answered();
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested && exception is not OutOfMemoryException)
        {
            // The others' counts stand until they are stale; then each silo counts alone.
            if (_time.GetUtcNow() - _lastAnswer >= _timings.SubmissionStaleAfter)
            {
                _hourly.SetOthers(SubmissionCounts.None.SentInTheLastHour);
                _authFailures.SetOthers(SubmissionCounts.None.AuthFailures);
                _outage.Failed("exchange", exception);
            }
        }
    }

    [LoggerMessage(1310, LogLevel.Warning, "The submission limits grain does not answer ({Kind}: {Reason}); per-user and AUTH limits are per silo until it does")]
    private static partial void GrainUnreachable(ILogger logger, string kind, string reason);

    [LoggerMessage(1311, LogLevel.Information, "The submission limits grain answers again; per-user and AUTH limits hold across the cluster")]
    private static partial void GrainBack(ILogger logger);
}
