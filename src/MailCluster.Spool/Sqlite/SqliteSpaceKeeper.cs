using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>
/// Runs on the writer's connection after each commit: under a size cap it tells the headroom how
/// many bytes the database's pages hold, and while the filesystem is short of space it gives free
/// pages and the log back to it. SQLite reuses freed pages but never returns them by itself, so
/// without this a spool whose mail has been delivered would stay as large as it ever was.
/// </summary>
internal sealed class SqliteSpaceKeeper(SpoolHeadroom headroom, SpoolMetrics metrics)
{
    public void AfterCommit(SqliteConnection connection)
    {
        // With room to spare and no cap the database's pages do not matter: the free space,
        // measured at most once a second, is all the reserve needs, and the commit path stays lean.
        var scarce = headroom.IsFilesystemScarce;
        if (!scarce && !headroom.IsCapped)
        {
            return;
        }
        var freePages = Report(connection, headroom);
        if (!scarce)
        {
            return;
        }
        // Each step on its own: the first needs no room (it copies the log into pages the database
        // already has and truncates the log), so it frees what the next one, moving pages, needs.
        TryExecute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        if (freePages > 0)
        {
            // Moves live pages down into the holes and truncates the file (auto_vacuum = INCREMENTAL).
            TryExecute(connection, "PRAGMA incremental_vacuum;");
            TryExecute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        }
        Report(connection, headroom);
    }

    /// <summary>Tells the headroom the bytes in use by the database's pages (free pages are room under the cap); returns the free pages.</summary>
    public static long Report(SqliteConnection connection, SpoolHeadroom headroom)
    {
        // One statement, not three: this runs after every commit under a cap.
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT p.page_count, f.freelist_count, s.page_size FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() s";
        using var reader = command.ExecuteReader();
        reader.Read();
        var (pages, freePages, pageSize) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        headroom.DatabaseMeasured((pages - freePages) * pageSize);
        return freePages;
    }

    private void TryExecute(SqliteConnection connection, string pragma)
    {
        try
        {
            connection.Execute(pragma);
        }
        catch (SqliteException)
        {
            // The batch is committed already; giving space back is tried again after the next one. Counted, so a
            // spool that keeps failing to shrink on a full disk shows it.
            metrics.SpaceReturnFailed();
        }
    }
}
