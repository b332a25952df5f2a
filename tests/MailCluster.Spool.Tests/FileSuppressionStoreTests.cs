using MailCluster.Spool;
using MailCluster.Testing.IO;
using MailCluster.Testing.Spool;

namespace MailCluster.Spool.Tests;

public sealed class FileSuppressionStoreTests : SuppressionStoreConformance, IDisposable
{
    private readonly TempDirectory _directory = new();

    protected override ISuppressionStore Store(string name) => new FileSuppressionStore(Path.Combine(_directory.Path, name + ".jsonl"));

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AHalfWrittenLastLineIsLeftForTheNextRead()
    {
        var path = Path.Combine(_directory.Path, "torn.jsonl");
        var store = new FileSuppressionStore(path);
        await store.WriteAsync([new SuppressionEntry("bob@dest.test", true, "r", DateTimeOffset.UnixEpoch)], CancellationToken.None);
        await File.AppendAllTextAsync(path, "{\"Address\":\"car");

        var changes = await store.ReadChangesAsync(null, CancellationToken.None);

        Assert.Equal(["bob@dest.test"], changes.Entries.Select(e => e.Address));
        Assert.Equal(new FileInfo(path).Length - "{\"Address\":\"car".Length, long.Parse(changes.Cursor, System.Globalization.CultureInfo.InvariantCulture));
    }
}
