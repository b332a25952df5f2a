using System.Text;
using MailCluster.Spool;
using MailCluster.Testing;
using MailCluster.Testing.IO;
using MailCluster.Testing.Spool;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailCluster.Events.Tests;

/// <summary>The dispatcher and its sink runners over a real spool journal, on a fake clock, with scripted receivers.</summary>
public sealed class EventDispatcherTests : IAsyncDisposable
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _directory = new();
    private readonly TestMeterFactory _meters = new();
    private readonly CountingTimeProvider _time = new(s_now);
    private readonly SpoolOptions _spoolOptions;
    private readonly ISpool _spool;
    private readonly List<EventDispatcher> _dispatchers = [];

    public EventDispatcherTests()
    {
        _spoolOptions = new SpoolOptions { Path = _directory.Path, BusyTimeout = TimeSpan.FromSeconds(1) };
        _spool = TestSpool.Open(_spoolOptions, _meters, _time);
    }

    [Fact]
    public async Task EverySinkTakesEveryEventInJournalOrderInBatchesOfItsSize()
    {
        var sink = new ScriptedSink();
        await StartAsync(Options(Sink("hooks", batchSize: 2)), sink);

        await AppendAsync("e1", "e2", "e3");

        var first = await sink.NextOfferAsync();
        Assert.Equal(["e1", "e2"], first.Events);
        first.Take();
        var second = await sink.NextOfferAsync();
        Assert.Equal(["e3"], second.Events);
        second.Take();
        await UntilAsync(async () => await _spool.ReadCursorAsync("hooks", CancellationToken.None) == 3, "the cursor saved after the last batch");
        Assert.Equal(["e1", "e2", "e3"], sink.Taken);
    }

    [Fact]
    public async Task AFailedBatchIsOfferedAgainAfterAPauseThatDoublesUpToTheMaximum()
    {
        var sink = new ScriptedSink();
        await StartAsync(Options(Sink("hooks", retryInitial: TimeSpan.FromSeconds(1), retryMax: TimeSpan.FromSeconds(3))), sink);
        await AppendAsync("e1");
        var offer = await sink.NextOfferAsync();

        // 1 s, then 2 s, then 3 s (the maximum), then 3 s again: the same batch, only once each pause has passed.
        foreach (var pause in new[] { 1, 2, 3, 3 })
        {
            var timers = _time.TimersCreated;
            offer.Fail();
            await Polling.UntilAsync(() => _time.TimersCreated > timers, "the runner's pause");
            _time.Advance(TimeSpan.FromSeconds(pause) - TimeSpan.FromMilliseconds(1));
            Assert.False(sink.HasOffer, $"offered again before the {pause} s pause ended");
            _time.Advance(TimeSpan.FromMilliseconds(1));
            offer = await sink.NextOfferAsync();
            Assert.Equal(["e1"], offer.Events);
        }
        offer.Take();
        await Polling.UntilAsync(() => sink.Taken.Count == 1, "the batch taken at last");
    }

    [Fact]
    public async Task ASinkThatIsDownHoldsOnlyItsOwnCursor()
    {
        var down = new ScriptedSink();
        var up = new ScriptedSink();
        var sinks = new Dictionary<string, ScriptedSink> { ["down"] = down, ["up"] = up };
        await StartAsync(Options(Sink("down"), Sink("up")), name => sinks[name]);
        await AppendAsync("e1");
        (await down.NextOfferAsync()).Fail();
        (await up.NextOfferAsync()).Take();

        await AppendAsync("e2");

        (await up.NextOfferAsync()).Take();
        await Polling.UntilAsync(() => up.Taken.Count == 2, "the second event taken");
        Assert.Equal(["e1", "e2"], up.Taken);
        Assert.Empty(down.Taken);
        await UntilAsync(async () => await _spool.ReadCursorAsync("up", CancellationToken.None) == 2, "the sink that is up saving its cursor");
        Assert.Equal(0, await _spool.ReadCursorAsync("down", CancellationToken.None));
    }

    [Fact]
    public async Task AReceiverThatIsGoneDisablesItsSinkAndSaysSo()
    {
        var sink = new ScriptedSink();
        var dispatcher = await StartAsync(Options(Sink("hooks")), sink);
        await AppendAsync("e1");

        (await sink.NextOfferAsync()).Gone();

        await Polling.UntilAsync(() => dispatcher.Runners[0].State == "disabled", "the sink disabled");
        _time.Advance(EventDispatcher.Tick);
        await Polling.UntilAsync(() => dispatcher.Statuses is [{ Disabled: true, LastError: "410 Gone" }], "the disabled sink's status");
        _time.Advance(TimeSpan.FromHours(1));
        Assert.False(sink.HasOffer);
    }

    [Fact]
    public async Task ADeliveryWithoutAnAnswerInTimeCountsAsFailed()
    {
        var sink = new ScriptedSink();
        var dispatcher = await StartAsync(Options(Sink("hooks", timeout: TimeSpan.FromSeconds(30))), sink);
        await AppendAsync("e1");
        var unanswered = await sink.NextOfferAsync();

        // The offer is made inside the delivery's deadline, whose timer runs from before it.
        _time.Advance(TimeSpan.FromSeconds(30));

        await Polling.UntilAsync(() => dispatcher.Runners[0].LastError?.Message == "no answer within 30 s", "the timeout recorded as the last error");
        Assert.False(unanswered.Answer.Task.IsCompleted);
    }

    [Fact]
    public async Task AfterARestartABatchWhoseCursorWasNotSavedIsOfferedAgain()
    {
        var sink = new ScriptedSink();
        await StartAsync(Options(Sink("hooks")), sink);
        await AppendAsync("e1");
        (await sink.NextOfferAsync()).Take();
        await UntilAsync(async () => await _spool.ReadCursorAsync("hooks", CancellationToken.None) == 1, "the first cursor saved");
        await AppendAsync("e2");
        var offered = await sink.NextOfferAsync();

        // The silo stops while e2 is offered (its cursor not saved), and starts again.
        await StopAllAsync();
        var restarted = new ScriptedSink();
        await StartAsync(Options(Sink("hooks")), restarted);

        Assert.Equal(["e2"], (await restarted.NextOfferAsync()).Events);
        Assert.Equal(["e2"], offered.Events);
    }

    [Fact]
    public async Task TheJournalKeepsWhatAnySinkHasNotTakenAndDropsTheOldestBeyondTheBound()
    {
        var slow = new ScriptedSink();
        var fast = new ScriptedSink();
        var sinks = new Dictionary<string, ScriptedSink> { ["slow"] = slow, ["fast"] = fast };
        var options = Options(Sink("slow", batchSize: 1), Sink("fast", batchSize: 100));
        options.MaxBacklogBytes = 1 << 20;
        var dispatcher = await StartAsync(options, name => sinks[name]);
        var events = Enumerable.Range(0, 40).Select(i => new string((char)('a' + (i % 26)), 64 * 1024 - 1) + "!").ToArray();
        await AppendAsync(events);
        (await fast.NextOfferAsync()).Take();
        var held = await slow.NextOfferAsync();
        await UntilAsync(async () => await _spool.ReadCursorAsync("fast", CancellationToken.None) == 40, "the fast sink's cursor");

        _time.Advance(EventDispatcher.Tick);

        // 40 events of 64 KiB against a bound of 1 MiB: the oldest 24 go, counted; the slow sink keeps the batch it holds.
        await Polling.UntilAsync(() => dispatcher.Statuses.FirstOrDefault(s => s.Name == "slow")?.Backlog.Events == 16, "the slow sink's backlog after the drop");
        Assert.Equal(16L * 64 * 1024, dispatcher.Statuses.Single(s => s.Name == "slow").Backlog.Bytes);
        Assert.Equal(0, dispatcher.Statuses.Single(s => s.Name == "fast").Backlog.Events);
        held.Take();
        var next = await slow.NextOfferAsync();
        Assert.Equal(events[24], next.Events.Single());
    }

    private static Task UntilAsync(Func<Task<bool>> check, string what) =>
        Polling.UntilAsync(check, TimeSpan.FromSeconds(10), () => $"{what} did not happen within 10 s", TimeSpan.FromMilliseconds(10));

    public async ValueTask DisposeAsync()
    {
        await StopAllAsync();
        await _spool.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _meters.Dispose();
        _directory.Dispose();
    }

    private async Task StopAllAsync()
    {
        foreach (var dispatcher in _dispatchers)
        {
            await dispatcher.StopAsync(CancellationToken.None);
            dispatcher.Dispose();
        }
        _dispatchers.Clear();
    }

    private Task<EventDispatcher> StartAsync(EventsOptions options, ScriptedSink sink) => StartAsync(options, _ => sink);

    private async Task<EventDispatcher> StartAsync(EventsOptions options, Func<string, ScriptedSink> sinks)
    {
        Assert.Empty(options.Validate());
        var dispatcher = new EventDispatcher(options, _spool, o => sinks(o.Name), new EventsMetrics(_meters), _time, NullLogger.Instance);
        _dispatchers.Add(dispatcher);
        await dispatcher.StartAsync(CancellationToken.None);
        await Polling.UntilAsync(() => dispatcher.Runners.All(r => r.State != "starting"), "the sinks reading their cursors");
        return dispatcher;
    }

    private Task AppendAsync(params string[] events) =>
        _spool.AppendAsync([.. events.Select(e => new SpoolEvent(_time.GetUtcNow(), Encoding.UTF8.GetBytes(e)))], CancellationToken.None).AsTask();

    private EventsOptions Options(params EventSinkOptions[] sinks) => new() { Sinks = [.. sinks] };

    private EventSinkOptions Sink(string name, int batchSize = 100, TimeSpan? retryInitial = null, TimeSpan? retryMax = null, TimeSpan? timeout = null)
    {
        var secret = Path.Combine(_directory.Path, "secret");
        File.WriteAllText(secret, "0123456789abcdef-secret\n");
        return new EventSinkOptions
        {
            Name = name,
            Url = $"https://{name}.test/events",
            SecretFile = secret,
            BatchSize = batchSize,
            RetryInitial = retryInitial ?? TimeSpan.FromSeconds(1),
            RetryMax = retryMax ?? TimeSpan.FromMinutes(5),
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
    }
}
