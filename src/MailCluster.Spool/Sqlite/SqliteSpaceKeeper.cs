using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>
/// Runs on the writer's connection after each commit: tells the headroom how many bytes the
/// database's pages hold and, while space is scarce, gives free pages and the log back to the
/// filesystem. SQLite reuses freed pages but never returns them by itself, so without this a
/// spool whose mail has been delivered would stay as large as it ever was.
/// </summary>
internal sealed class SqliteSpaceKeeper(SpoolHeadroom headroom)
{
    public void AfterCommit(SqliteConnection connection)
    {
        // With room to spare and no size cap, the database's pages do not matter: the free space,
        // measured at most once a second, is all the reserve needs. The commit path stays as it was.
        if (!headroom.IsScarce && !headroom.IsCapped)
        {
            return;
        }
        try
        {
            var freePages = Report(connection);
            if (!headroom.IsScarce)
            {
                return;
            }
            if (freePages > 0)
            {
                // Moves live pages down into the holes and truncates the file (auto_vacuum = INCREMENTAL).
                connection.Execute("PRAGMA incremental_vacuum;");
            }
            // Copies the log into the database and truncates it to zero bytes.
            connection.Execute("PRAGMA wal_checkpoint(TRUNCATE);");
            Report(connection);
        }
        catch (SqliteException)
        {
            // The batch is already committed; giving space back is tried again after the next one.
        }
    }

    private long Report(SqliteConnection connection)
    {
        var pages = connection.QueryInt64("PRAGMA page_count;");
        var freePages = connection.QueryInt64("PRAGMA freelist_count;");
        headroom.DatabaseMeasured((pages - freePages) * connection.QueryInt64("PRAGMA page_size;"));
        return freePages;
    }
}
