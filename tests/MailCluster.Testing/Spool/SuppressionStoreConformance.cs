using MailCluster.Spool;
using Xunit;

namespace MailCluster.Testing.Spool;

/// <summary>
/// What every suppression store must do, whichever backend: changes read back in order, a cursor
/// that reads on from where it stopped, and two readers of one store seeing each other's writes.
/// A backend's test class derives from this and makes the stores.
/// </summary>
public abstract class SuppressionStoreConformance
{
    // Writers stamp changes with their own clock, close to the readers' (a store may read from its
    // own clock less a margin): the test writes as a silo would, now.
    private readonly DateTimeOffset _now = TimeProvider.System.GetUtcNow();

    /// <summary>A new, empty store; calls with the same <paramref name="name"/> in one test reach the same data.</summary>
    protected abstract ISuppressionStore Store(string name);

    [Fact]
    public async Task ChangesComeBackInTheOrderTheyHappened()
    {
        var store = Store("a");
        await store.WriteAsync([new SuppressionEntry("bob@dest.test", true, "5.1.1 from mx", _now)], CancellationToken.None);
        await store.WriteAsync([new SuppressionEntry("bob@dest.test", false, "removed", _now.AddSeconds(1))], CancellationToken.None);
        await store.WriteAsync([new SuppressionEntry("carol@dest.test", true, "added", _now.AddSeconds(2))], CancellationToken.None);

        var changes = await store.ReadChangesAsync(null, CancellationToken.None);

        Assert.Equal(
            [("bob@dest.test", true, "5.1.1 from mx"), ("bob@dest.test", false, "removed"), ("carol@dest.test", true, "added")],
            changes.Entries.Select(e => (e.Address, e.Suppressed, e.Reason)));
        Assert.Equal(_now.AddSeconds(2), changes.Entries[^1].At);
    }

    [Fact]
    public async Task TheCursorReadsOnAndAnotherReaderSeesEveryWrite()
    {
        var writer = Store("shared");
        var reader = Store("shared");
        await writer.WriteAsync([new SuppressionEntry("bob@dest.test", true, "first", _now)], CancellationToken.None);
        var first = await reader.ReadChangesAsync(null, CancellationToken.None);

        await writer.WriteAsync([new SuppressionEntry("carol@dest.test", true, "second", _now.AddSeconds(1))], CancellationToken.None);
        var next = await reader.ReadChangesAsync(first.Cursor, CancellationToken.None);

        Assert.Equal(["bob@dest.test"], first.Entries.Select(e => e.Address));
        // A store may hand out a change twice (they apply idempotently), never miss one.
        Assert.Contains(next.Entries, e => e.Address == "carol@dest.test");
        Assert.Empty((await reader.ReadChangesAsync(null, CancellationToken.None)).Entries.Where(e => e.Address is not ("bob@dest.test" or "carol@dest.test")));
    }

    [Fact]
    public async Task AnImportOfManyAddressesIsOneCallAndComesBackWhole()
    {
        var store = Store("import");
        var entries = Enumerable.Range(0, 250).Select(i => new SuppressionEntry($"user{i}@dest.test", true, "imported", _now.AddTicks(i))).ToList();

        await store.WriteAsync(entries, CancellationToken.None);

        Assert.Equal(entries.Select(e => e.Address), (await store.ReadChangesAsync(null, CancellationToken.None)).Entries.Select(e => e.Address));
    }

    [Fact]
    public async Task AnEmptyStoreHasNoChanges()
    {
        var changes = await Store("empty").ReadChangesAsync(null, CancellationToken.None);
        Assert.Empty(changes.Entries);
        Assert.Empty((await Store("empty").ReadChangesAsync(changes.Cursor, CancellationToken.None)).Entries);
    }
}
