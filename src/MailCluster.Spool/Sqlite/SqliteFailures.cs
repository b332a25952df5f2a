using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>Maps SQLite result codes to the spool's typed failures, in one place.</summary>
internal static class SqliteFailures
{
    // https://www.sqlite.org/rescode.html
    private const int SqliteFull = 13;
    private const int SqliteTooBig = 18;
    private const int SqliteConstraint = 19;

    /// <summary>
    /// Failures caused by one write's own content (it does not fit, it breaks a constraint), which
    /// other writes of the batch need not share; locks and I/O errors hit every write alike.
    /// </summary>
    /// <summary>The disk (or the size cap) had no room for the write.</summary>
    public static bool IsFull(SqliteException exception) => (exception.SqliteErrorCode & 0xFF) == SqliteFull;

    public static bool IsConfinedToOneWrite(SqliteException exception) =>
        (exception.SqliteErrorCode & 0xFF) is SqliteFull or SqliteTooBig or SqliteConstraint;

    /// <param name="operation">What failed, for the message: a commit unless said otherwise.</param>
    public static SpoolUnavailableException Classify(SqliteException exception, string operation = "commit") =>
        IsFull(exception)
            ? new SpoolFullException($"Spool storage is full: {exception.Message}", exception)
            : new SpoolUnavailableException($"Spool {operation} failed: {exception.Message}", exception);
}
