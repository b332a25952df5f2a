using MailCluster.Testing.Spool;
using MailCluster.Spool;
using MailCluster.Spool.Sqlite;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>Opens a silo's embedded spool from the test process (WAL lets it read beside the running silo).</summary>
internal static class SpoolInspector
{
    public static async Task<T> ReadAsync<T>(string spoolPath, Func<ISpool, Task<T>> read)
    {
        using var meters = new TestMeterFactory();
        await using var spool = TestSpool.Open(new SpoolOptions { Path = spoolPath }, meters, TimeProvider.System);
        return await read(spool);
    }

    public static Task<SpoolCounts> CountAsync(string spoolPath) =>
        ReadAsync(spoolPath, async spool => await spool.CountAsync(CancellationToken.None));
}
