using System.Buffers;
using System.Text;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;
using MailCluster.Testing.IO;
using MailCluster.Testing.Spool;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Spool.Tests;

/// <summary>The spool's event journal: events commit with what they report, cursors, backlog and trimming.</summary>
public sealed class EventJournalTests : IAsyncDisposable
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _directory = new();
    private readonly TestMeterFactory _meters = new();
    private readonly SpoolOptions _options;
    private readonly ISpool _spool;

    public EventJournalTests()
    {
        _options = new SpoolOptions { Path = _directory.Path, BusyTimeout = TimeSpan.FromSeconds(1) };
        _spool = TestSpool.Open(_options, _meters, new FakeTimeProvider(s_now));
    }

    [Fact]
    public async Task EventsCommitWithTheMessageAndWithTheOutcomesTheyReport()
    {
        await _spool.EnqueueAsync(Envelope("q1", ["a@d.test", "b@d.test"], "reception a", "reception b"), Content("x\r\n"), CancellationToken.None);
        var claimed = await _spool.ClaimDueAsync("d.test", s_now, 10, except: null, CancellationToken.None);

        await _spool.RecordOutcomesAsync(
            [
                new RecipientOutcome(claimed[0].Id, OutcomeAction.Delivered, Event: Event("delivery a")),
                new RecipientOutcome(claimed[1].Id, OutcomeAction.Deferred, s_now.AddMinutes(5), "451 later", Event("deferral b")),
            ],
            CancellationToken.None);

        var events = await _spool.ReadAsync(0, 10, CancellationToken.None);
        Assert.Equal(["reception a", "reception b", "delivery a", "deferral b"], events.Select(Text));
        Assert.Equal(events.Select(e => e.Position).Order(), events.Select(e => e.Position));
        Assert.Equal(["delivery a", "deferral b"], (await _spool.ReadAsync(events[1].Position, 10, CancellationToken.None)).Select(Text));
    }

    [Fact]
    public async Task AMessageTheSpoolRefusesLeavesNoEventBehind()
    {
        // A message that is already stored fails its insert (queue ids are unique): its write rolls back whole.
        await _spool.EnqueueAsync(Envelope("q1", ["a@d.test"], "first"), Content("x\r\n"), CancellationToken.None);

        await Assert.ThrowsAnyAsync<SpoolUnavailableException>(async () =>
            await _spool.EnqueueAsync(Envelope("q1", ["a@d.test"], "never stored"), Content("x\r\n"), CancellationToken.None));

        Assert.Equal(["first"], (await _spool.ReadAsync(0, 10, CancellationToken.None)).Select(Text));
    }

    [Fact]
    public async Task ACursorIsSavedPerSinkAndNeverMovesBack()
    {
        Assert.Equal(0, await _spool.ReadCursorAsync("hooks", CancellationToken.None));

        await _spool.SaveCursorAsync("hooks", 7, CancellationToken.None);
        await _spool.SaveCursorAsync("hooks", 5, CancellationToken.None);
        await _spool.SaveCursorAsync("amqp", 2, CancellationToken.None);

        Assert.Equal(7, await _spool.ReadCursorAsync("hooks", CancellationToken.None));
        Assert.Equal(2, await _spool.ReadCursorAsync("amqp", CancellationToken.None));
    }

    [Fact]
    public async Task TheBacklogCountsEventsAndBytesAfterACursorAndItsOldestTime()
    {
        await _spool.AppendAsync([Event("aaaa", s_now), Event("bb", s_now.AddSeconds(1)), Event("cccccc", s_now.AddSeconds(2))], CancellationToken.None);
        var positions = (await _spool.ReadAsync(0, 10, CancellationToken.None)).Select(e => e.Position).ToList();

        Assert.Equal(new EventBacklog(3, 12, s_now), await _spool.BacklogAsync(0, CancellationToken.None));
        Assert.Equal(new EventBacklog(1, 6, s_now.AddSeconds(2)), await _spool.BacklogAsync(positions[1], CancellationToken.None));
        Assert.Equal(EventBacklog.None, await _spool.BacklogAsync(positions[2], CancellationToken.None));
    }

    [Fact]
    public async Task TrimmingRemovesWhatEverySinkTookThenDropsTheOldestBeyondTheBound()
    {
        await _spool.AppendAsync([.. Enumerable.Range(0, 10).Select(i => Event($"event {i:D2}"))], CancellationToken.None);
        var positions = (await _spool.ReadAsync(0, 10, CancellationToken.None)).Select(e => e.Position).ToList();

        // Three taken by every sink: removed, not counted as dropped.
        Assert.Equal(0, await _spool.TrimAsync(positions[2], maxBytes: 1000, CancellationToken.None));
        Assert.Equal(7, (await _spool.BacklogAsync(0, CancellationToken.None)).Events);

        // Each event is 8 bytes: a bound of 40 keeps the newest five and drops two untaken.
        Assert.Equal(2, await _spool.TrimAsync(positions[2], maxBytes: 40, CancellationToken.None));
        Assert.Equal(["event 05", "event 06", "event 07", "event 08", "event 09"], (await _spool.ReadAsync(0, 10, CancellationToken.None)).Select(Text));
        Assert.Equal(new EventBacklog(5, 40, s_now), await _spool.BacklogAsync(positions[2], CancellationToken.None));
    }

    [Fact]
    public async Task PositionsNeverComeBackAfterTheJournalEmpties()
    {
        await _spool.AppendAsync([Event("one"), Event("two")], CancellationToken.None);
        var last = (await _spool.ReadAsync(0, 10, CancellationToken.None))[^1].Position;
        await _spool.TrimAsync(last, maxBytes: 1 << 20, CancellationToken.None);

        await _spool.AppendAsync([Event("three")], CancellationToken.None);

        // A sink whose cursor is at the old last position still sees the new event.
        Assert.Equal(["three"], (await _spool.ReadAsync(last, 10, CancellationToken.None)).Select(Text));
    }

    [Fact]
    public async Task AReaderThatTookTheSignalBeforeReadingIsWokenByTheNextAppend()
    {
        var appended = _spool.NextAppend();
        Assert.Empty(await _spool.ReadAsync(0, 10, CancellationToken.None));
        Assert.False(appended.IsCompleted);

        await _spool.AppendAsync([Event("woken")], CancellationToken.None);

        await appended;
        Assert.Equal(["woken"], (await _spool.ReadAsync(0, 10, CancellationToken.None)).Select(Text));
    }

    [Fact]
    public async Task TheJournalSurvivesAReopen()
    {
        await _spool.AppendAsync([Event("kept")], CancellationToken.None);
        await _spool.SaveCursorAsync("hooks", 1, CancellationToken.None);
        await _spool.DisposeAsync();

        await using var reopened = TestSpool.Open(_options, _meters, new FakeTimeProvider(s_now));

        Assert.Equal(["kept"], (await reopened.ReadAsync(0, 10, CancellationToken.None)).Select(Text));
        Assert.Equal(1, await reopened.ReadCursorAsync("hooks", CancellationToken.None));
    }

    public async ValueTask DisposeAsync()
    {
        await _spool.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _meters.Dispose();
        _directory.Dispose();
    }

    private static SpoolEnvelope Envelope(string queueId, string[] recipients, params string[] events) => new(
        new SpoolMessage(queueId, "sender@client.test", s_now, Size: 0, EnvelopeId: null, DsnReturn.Unspecified, SmtpUtf8: false, EightBitMime: false),
        [.. recipients.Select(r => new EnvelopeRecipient(r, "d.test", DsnNotify.Unspecified, null))],
        [.. events.Select(e => Event(e))]);

    private static SpoolEvent Event(string text, DateTimeOffset? at = null) => new(at ?? s_now, Encoding.UTF8.GetBytes(text));

    private static string Text(StoredEvent stored) => Encoding.UTF8.GetString(stored.Body);

    private static SpoolContent Content(string text) => new(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)));
}
