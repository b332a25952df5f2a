using MailCluster.Events.Sinks;
using MailCluster.Hosting;
using MailCluster.Spool;
using Microsoft.Extensions.Logging;

namespace MailCluster.Events;

/// <summary>
/// Feeds one sink from the journal: reads after its cursor, offers each batch until the receiver
/// has it (pausing RetryInitial, doubling up to RetryMax), and only then moves the cursor and saves
/// it. A crash between the two offers the batch again: at least once, in journal order, so in order
/// per recipient. A sink that is down holds its own cursor only, never delivery or the other sinks.
/// </summary>
public sealed class EventSinkRunner
{
    internal const string DisabledState = "disabled";

    private readonly EventSinkOptions _options;
    private readonly IEventSink _sink;
    private readonly IEventJournal _journal;
    private readonly EventFilter _filter;
    private readonly EventsMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _saved;
    private long _delivered;
    private volatile string _state = "starting";
    private volatile Failure? _lastFailure;

    internal EventSinkRunner(EventSinkOptions options, IEventSink sink, IEventJournal journal, EventsMetrics metrics, TimeProvider time, ILogger logger)
    {
        _options = options;
        _sink = sink;
        _journal = journal;
        _filter = new EventFilter(options);
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public string Name => _options.Name;

    /// <summary>The last position saved durably: events up to it may leave the journal.</summary>
    public long SavedCursor => Interlocked.Read(ref _saved);

    public long Delivered => Interlocked.Read(ref _delivered);

    public string State => _state;

    public (string Message, DateTimeOffset At)? LastError => _lastFailure is { } failure ? (failure.Message, failure.At) : null;

    /// <summary>Reads the saved cursor (before the dispatcher trims anything), so the journal keeps what this sink has not taken.</summary>
    internal async Task StartAsync(CancellationToken cancellationToken) =>
        Interlocked.Exchange(ref _saved, await _journal.ReadCursorAsync(Name, cancellationToken));

    internal async Task RunAsync(CancellationToken stopping)
    {
        var position = SavedCursor;
        var pause = new Backoff(_options);
        while (!stopping.IsCancellationRequested)
        {
            var appended = _journal.NextAppend();
            IReadOnlyList<StoredEvent> events;
            try
            {
                events = await _journal.ReadAsync(position, _options.BatchSize, stopping);
            }
            catch (SpoolUnavailableException exception)
            {
                Fail($"reading the journal: {exception.Message}");
                if (!await PauseAsync(pause.Next(), stopping))
                {
                    return;
                }
                continue;
            }
            if (events.Count == 0)
            {
                _state = "idle";
                if (!await WaitAsync(appended, stopping))
                {
                    return;
                }
                continue;
            }
            var batch = Chosen(events);
            if (batch.Events.Count > 0 && !await DeliverAsync(batch, stopping))
            {
                return;
            }
            position = events[^1].Position;
            await SaveAsync(position, stopping);
        }
    }

    private EventBatch Chosen(IReadOnlyList<StoredEvent> events)
    {
        var chosen = new List<ReadOnlyMemory<byte>>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            if (_filter.Passes(events[i].Body))
            {
                chosen.Add(events[i].Body);
            }
        }
        return new EventBatch(events[0].Position, events[^1].Position, chosen);
    }

    /// <summary>True once the receiver has the batch; false when the sink is disabled or the silo stops.</summary>
    private async Task<bool> DeliverAsync(EventBatch batch, CancellationToken stopping)
    {
        var pause = new Backoff(_options);
        while (true)
        {
            _state = "delivering";
            try
            {
                using var deadline = new Deadline(_options.Timeout, _time, stopping);
                try
                {
                    await _sink.DeliverAsync(batch, deadline.Token);
                }
                catch (OperationCanceledException) when (deadline.HasExpired)
                {
                    throw new EventSinkException($"no answer within {_options.Timeout.TotalSeconds:0.#} s");
                }
                Interlocked.Add(ref _delivered, batch.Events.Count);
                _metrics.Delivered(Name, batch.Events.Count);
                return true;
            }
            catch (EventSinkException exception) when (exception.Disables)
            {
                _state = DisabledState;
                Fail(exception.Message);
                Log.SinkDisabled(_logger, Name, exception.Message);
                return false;
            }
            catch (EventSinkException exception)
            {
                _metrics.Failed(Name);
                Fail(exception.Message);
                Log.DeliveryFailed(_logger, Name, batch.First, batch.Last, exception.Message);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return false;
            }
            _state = "retrying";
            if (!await PauseAsync(pause.Next(), stopping))
            {
                return false;
            }
        }
    }

    /// <summary>A cursor that cannot be saved now is saved with the next batch; until then the journal keeps the events.</summary>
    private async Task SaveAsync(long position, CancellationToken stopping)
    {
        try
        {
            await _journal.SaveCursorAsync(Name, position, stopping);
            Interlocked.Exchange(ref _saved, position);
        }
        catch (SpoolUnavailableException exception)
        {
            Fail($"saving the cursor: {exception.Message}");
        }
    }

    private void Fail(string message) => _lastFailure = new Failure(message, _time.GetUtcNow());

    private async Task<bool> PauseAsync(TimeSpan pause, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(pause, _time, stopping);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<bool> WaitAsync(Task appended, CancellationToken stopping)
    {
        try
        {
            await appended.WaitAsync(stopping);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private sealed record Failure(string Message, DateTimeOffset At);

    /// <summary>RetryInitial, doubled after each failure up to RetryMax.</summary>
    private sealed class Backoff(EventSinkOptions options)
    {
        private TimeSpan _next = options.RetryInitial;

        public TimeSpan Next()
        {
            var pause = _next;
            _next = TimeSpan.FromTicks(Math.Min(options.RetryMax.Ticks, _next.Ticks * 2));
            return pause;
        }
    }
}
