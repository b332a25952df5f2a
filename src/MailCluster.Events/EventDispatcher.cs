using MailCluster.Events.Sinks;
using MailCluster.Hosting;
using MailCluster.Spool;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailCluster.Events;

/// <summary>
/// Runs every configured sink (<see cref="EventSinkRunner"/>) and keeps the journal: once a second
/// it removes what every sink has saved past, drops the oldest beyond
/// <see cref="EventsOptions.MaxBacklogBytes"/> (counted and logged), and takes each sink's
/// backlog for metrics and <c>mailctl events</c>.
/// </summary>
public sealed class EventDispatcher : BackgroundService
{
    /// <summary>How often the journal is trimmed and the sinks' backlogs are read.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan s_rateWindow = TimeSpan.FromMinutes(1);

    private readonly EventsOptions _options;
    private readonly IEventJournal _journal;
    private readonly EventsMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<(EventSinkRunner Runner, IEventSink Sink, string Target, Queue<(DateTimeOffset At, long Delivered)> Samples)> _sinks;
    private volatile IReadOnlyList<EventSinkStatus> _statuses = [];

    public EventDispatcher(EventsOptions options, IEventJournal journal, Func<EventSinkOptions, IEventSink> sinks, EventsMetrics metrics, TimeProvider time, ILogger logger)
    {
        _options = options;
        _journal = journal;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _sinks = [.. options.Sinks.Select(o =>
        {
            var sink = sinks(o);
            return (new EventSinkRunner(o, sink, journal, metrics, time, logger), sink, o.Url, new Queue<(DateTimeOffset, long)>());
        })];
        metrics.ObserveSinks(() => _statuses, options.Enabled ? options.MaxBacklogBytes : null);
    }

    public IReadOnlyList<EventSinkStatus> Statuses => _statuses;

    public IReadOnlyList<EventSinkRunner> Runners => [.. _sinks.Select(s => s.Runner)];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_sinks.Count == 0)
        {
            return;
        }
        // Every cursor is read before anything is trimmed: the journal keeps what any sink has not taken.
        using var timer = new PeriodicTimer(Tick, _time);
        while (!await ReadCursorsAsync(stoppingToken))
        {
            if (!await timer.TryWaitAsync(stoppingToken))
            {
                return;
            }
        }
        var loops = _sinks.Select(s => Task.Run(() => s.Runner.RunAsync(stoppingToken), CancellationToken.None)).ToList();
        await KeepAsync(stoppingToken);
        while (await timer.TryWaitAsync(stoppingToken))
        {
            await KeepAsync(stoppingToken);
        }
        await Task.WhenAll(loops);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var (_, sink, _, _) in _sinks)
        {
            await sink.DisposeAsync();
        }
    }

    private async Task<bool> ReadCursorsAsync(CancellationToken stopping)
    {
        try
        {
            foreach (var (runner, _, _, _) in _sinks)
            {
                await runner.StartAsync(stopping);
            }
            return true;
        }
        catch (SpoolUnavailableException exception)
        {
            Log.CursorsUnreadable(_logger, exception.Message);
            return false;
        }
    }

    /// <summary>One tick: trim, then read each sink's backlog. A spool that cannot answer now is tried at the next tick.</summary>
    private async Task KeepAsync(CancellationToken stopping)
    {
        try
        {
            var takenByAll = _sinks.Min(s => s.Runner.SavedCursor);
            var dropped = await _journal.TrimAsync(takenByAll, _options.MaxBacklogBytes, stopping);
            if (dropped > 0)
            {
                _metrics.Dropped(dropped);
                Log.EventsDropped(_logger, _options.MaxBacklogBytes, dropped);
            }
            var now = _time.GetUtcNow();
            var statuses = new List<EventSinkStatus>(_sinks.Count);
            foreach (var (runner, _, target, samples) in _sinks)
            {
                var backlog = await _journal.BacklogAsync(runner.SavedCursor, stopping);
                statuses.Add(new EventSinkStatus(
                    runner.Name, target, runner.State, runner.SavedCursor, backlog, backlog.Oldest is { } oldest ? now - oldest : TimeSpan.Zero,
                    runner.Delivered, Rate(samples, now, runner.Delivered), runner.LastError?.Message, runner.LastError?.At));
            }
            _statuses = statuses;
        }
        catch (SpoolUnavailableException exception)
        {
            Log.TrimFailed(_logger, exception.Message);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Events per second over the last minute (or since the first sample).</summary>
    private static double Rate(Queue<(DateTimeOffset At, long Delivered)> samples, DateTimeOffset now, long delivered)
    {
        samples.Enqueue((now, delivered));
        while (samples.Count > 1 && now - samples.Peek().At > s_rateWindow)
        {
            samples.Dequeue();
        }
        var (at, before) = samples.Peek();
        var seconds = (now - at).TotalSeconds;
        return seconds > 0 ? (delivered - before) / seconds : 0;
    }
}
