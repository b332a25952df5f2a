using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>Maps SQLite result codes to the spool's typed failures, in one place.</summary>
internal static class SqliteFailures
{
    // https://www.sqlite.org/rescode.html
    private const int SqliteFull = 13;

    public static SpoolUnavailableException Classify(SqliteException exception) =>
        (exception.SqliteErrorCode & 0xFF) == SqliteFull
            ? new SpoolFullException($"Spool storage is full: {exception.Message}", exception)
            : new SpoolUnavailableException($"Spool commit failed: {exception.Message}", exception);
}
