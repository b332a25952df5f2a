using System.Diagnostics.Metrics;
using MailCluster.Spool;
using MailCluster.Spool.Sqlite;

namespace MailCluster.Testing.Spool;

/// <summary>Opens an embedded spool for tests: a filesystem that never runs short unless the test says how much is free.</summary>
internal static class TestSpool
{
    public static ISpool Open(SpoolOptions options, IMeterFactory meters, TimeProvider time, Func<string, DiskSpace>? measure = null, Action<int>? claimsVoided = null) =>
        SqliteSpool.Open(
            options,
            new SpoolMetrics(meters),
            time,
            new SpoolHeadroom(options, largestMessageBytes: 1024 * 1024, time, measure ?? (_ => new DiskSpace(1L << 40, 1L << 41)), _ => { }),
            claimsVoided ?? (_ => { }));
}
