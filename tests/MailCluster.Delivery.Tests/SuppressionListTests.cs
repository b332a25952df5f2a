using MailCluster.Delivery.Responses;
using MailCluster.Delivery.Suppression;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;
using MailCluster.Testing;
using MailCluster.Testing.IO;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Delivery.Tests;

public sealed class SuppressionListTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _directory.Dispose();

    private string StorePath => Path.Combine(_directory.Path, FileSuppressionStore.FileName);

    private SuppressionList List(string? path = null, SuppressionOptions? options = null) =>
        new(new FileSuppressionStore(path ?? StorePath), options ?? new SuppressionOptions(), _time, NullLogger.Instance);

    [Fact]
    public async Task AnAddedAddressIsSuppressedInAnyCaseAndARemovedOneIsNot()
    {
        using var list = List();
        await list.StartAsync(CancellationToken.None);

        Assert.True(await list.AddAsync("Bob@Dest.test", "5.1.1 from mx.dest.test", CancellationToken.None));
        Assert.False(await list.AddAsync("bob@dest.test", "again", CancellationToken.None));
        Assert.True(list.IsSuppressed("BOB@dest.TEST"));
        Assert.Equal(("bob@dest.test", "5.1.1 from mx.dest.test"), (list.List().Single().Address, list.List().Single().Reason));

        Assert.True(await list.RemoveAsync("bob@dest.test", CancellationToken.None));
        Assert.False(await list.RemoveAsync("bob@dest.test", CancellationToken.None));
        Assert.False(list.IsSuppressed("bob@dest.test"));
        Assert.Empty(list.List());
        await list.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AQuotedLocalPartThatNeedsNoQuotesIsTheSameAddress()
    {
        using var list = List();
        await list.StartAsync(CancellationToken.None);

        // RFC 5321 4.1.2: "user"@d and user@d are one mailbox, so quoting must not slip past the list.
        await list.AddAsync("user@dest.test", "5.1.1", CancellationToken.None);
        Assert.True(list.IsSuppressed("\"user\"@dest.test"));
        Assert.True(list.IsSuppressed("\"us\\er\"@Dest.test"));
        Assert.False(list.IsSuppressed("\"us er\"@dest.test"));
        await list.AddAsync("\"first.last\"@dest.test", "5.1.1", CancellationToken.None);
        Assert.True(list.IsSuppressed("first.last@dest.test"));
        await list.StopAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("user@d.test", "user@d.test")]
    [InlineData("\"User\"@D.test", "user@d.test")]
    [InlineData("\"a.b\"@d.test", "a.b@d.test")]
    [InlineData("\"a..b\"@d.test", "\"a..b\"@d.test")]
    [InlineData("\".a\"@d.test", "\".a\"@d.test")]
    [InlineData("\"a b\"@d.test", "\"a b\"@d.test")]
    [InlineData("\"a\\\"b\"@d.test", "\"a\\\"b\"@d.test")]
    [InlineData("\"\"@d.test", "\"\"@d.test")]
    public void TheCanonicalFormUnquotesOnlyWhatNeedsNoQuotes(string address, string canonical) =>
        Assert.Equal(canonical, SuppressionAddress.Canonical(address));

    [Fact]
    public async Task TheListSurvivesARestartAndTheNewestChangeOfAnAddressWins()
    {
        using (var first = List())
        {
            await first.StartAsync(CancellationToken.None);
            await first.AddAsync("bob@dest.test", "bounced", CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(1));
            await first.RemoveAsync("bob@dest.test", CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(1));
            await first.AddAsync("carol@dest.test", "bounced", CancellationToken.None);
            await first.StopAsync(CancellationToken.None);
        }

        using var again = List();
        await again.StartAsync(CancellationToken.None);

        Assert.False(again.IsSuppressed("bob@dest.test"));
        Assert.True(again.IsSuppressed("carol@dest.test"));
        await again.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AnotherSilosChangeArrivesWithTheNextRefresh()
    {
        var options = new SuppressionOptions { RefreshInterval = TimeSpan.FromSeconds(10) };
        using var mine = List(options: options);
        using var theirs = List(options: options);
        await mine.StartAsync(CancellationToken.None);
        await theirs.StartAsync(CancellationToken.None);

        await theirs.AddAsync("bob@dest.test", "bounced at their MX", CancellationToken.None);
        Assert.False(mine.IsSuppressed("bob@dest.test"));
        _time.Advance(options.RefreshInterval);

        // The refresh runs on the list's own loop after the clock step: ask until it has run.
        await Polling.UntilAsync(() => mine.IsSuppressed("bob@dest.test"), "the refresh bringing the other silo's change");
        await mine.StopAsync(CancellationToken.None);
        await theirs.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AStoreThatFailsLeavesLookupsAnsweredFromTheCopy()
    {
        var store = new FailingStore(new FileSuppressionStore(StorePath));
        using var list = new SuppressionList(store, new SuppressionOptions(), _time, NullLogger.Instance);
        await list.StartAsync(CancellationToken.None);
        await list.AddAsync("bob@dest.test", "bounced", CancellationToken.None);

        store.Failing = true;
        _time.Advance(new SuppressionOptions().RefreshInterval);
        await Polling.UntilAsync(() => store.FailedReads > 0, "a refresh against the failing store");

        Assert.True(list.IsSuppressed("bob@dest.test"));
        await Assert.ThrowsAsync<IOException>(() => list.AddAsync("carol@dest.test", "bounced", CancellationToken.None));
        Assert.False(list.IsSuppressed("carol@dest.test"));
        await list.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void HardBouncesAreTheConfiguredCategoriesAndTheStatusesTheOldKeyStillNames()
    {
        using var byDefault = List(options: new SuppressionOptions());
        using var old = List(options: new SuppressionOptions { Categories = "", Statuses = "5.1.1, 5.1.10" });

        Assert.True(byDefault.IsHardBounce(new EnhancedStatusCode(5, 2, 1), ReplyCategory.InactiveMailbox));
        Assert.True(byDefault.IsHardBounce(new EnhancedStatusCode(5, 0, 0), ReplyCategory.InvalidRecipient));
        Assert.False(byDefault.IsHardBounce(new EnhancedStatusCode(5, 7, 1), ReplyCategory.SpamRelated));
        Assert.True(old.IsHardBounce(new EnhancedStatusCode(5, 1, 10), ReplyCategory.BadDomain));
        Assert.False(old.IsHardBounce(new EnhancedStatusCode(5, 1, 2), ReplyCategory.BadDomain));
        Assert.Equal(
            [
                "Suppression:Categories has 'Nonsense'; expected categories: " + string.Join(", ", Enum.GetNames<ReplyCategory>()),
                "Suppression:Statuses has '4.1.1'; expected permanent enhanced status codes (RFC 3463), e.g. 5.1.1",
                "Suppression:RefreshInterval is 00:00:00; must be at least 00:00:01",
            ],
            new SuppressionOptions { Categories = "InvalidRecipient, Nonsense", Statuses = "5.1.1,4.1.1", RefreshInterval = TimeSpan.Zero }.Validate());
    }


    /// <summary>The real file store, made to fail as storage does during an outage (a test can switch it).</summary>
    private sealed class FailingStore(ISuppressionStore inner) : ISuppressionStore
    {
        private int _failedReads;

        public volatile bool Failing;

        public int FailedReads => Volatile.Read(ref _failedReads);

        public Task WriteAsync(IReadOnlyList<SuppressionEntry> entries, CancellationToken cancellationToken) =>
            Failing ? throw new IOException("storage is down") : inner.WriteAsync(entries, cancellationToken);

        public Task<SuppressionChanges> ReadChangesAsync(string? cursor, CancellationToken cancellationToken)
        {
            if (Failing)
            {
                Interlocked.Increment(ref _failedReads);
                throw new IOException("storage is down");
            }
            return inner.ReadChangesAsync(cursor, cancellationToken);
        }
    }
}
