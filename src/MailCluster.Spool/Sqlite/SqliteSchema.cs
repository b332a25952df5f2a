using System.Reflection;
using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>Creates a new spool's schema, or brings an older one up to date; a current spool is only read.</summary>
internal static class SqliteSchema
{
    private const int Version = 4;

    /// <summary>PRAGMA auto_vacuum's value for INCREMENTAL.</summary>
    private const long IncrementalVacuum = 2;

    public static void Prepare(SqliteConnection connection, SpoolHeadroom headroom)
    {
        var version = connection.QueryInt64("PRAGMA user_version;");
        if (version == 0)
        {
            Create(connection);
            return;
        }
        if (version < 3)
        {
            // Version 3: a message's egress pool. A new nullable column costs no rewrite of the rows.
            connection.Execute("ALTER TABLE messages ADD COLUMN pool TEXT;");
        }
        if (version < 4)
        {
            // Version 4: what delivery events name (Message-ID, submitter), and the event journal's tables.
            connection.Execute("ALTER TABLE messages ADD COLUMN message_id_header TEXT;");
            connection.Execute("ALTER TABLE messages ADD COLUMN submitter TEXT;");
            connection.Execute(Script());
            connection.Execute($"PRAGMA user_version = {Version};");
        }
        if (connection.QueryInt64("PRAGMA auto_vacuum;") != IncrementalVacuum)
        {
            GiveFreePagesBack(connection, headroom);
        }
    }

    private static void Create(SqliteConnection connection)
    {
        // 16 KiB pages: a typical message body needs a short overflow chain, not a long one.
        connection.Execute("PRAGMA page_size = 16384;");
        // Before the first table: free pages can then be given back to the filesystem (incremental
        // vacuum) when space runs short.
        connection.Execute("PRAGMA auto_vacuum = INCREMENTAL;");
        connection.Execute("PRAGMA journal_mode = WAL;");
        connection.Execute(Script());
        connection.Execute($"PRAGMA user_version = {Version};");
    }

    /// <summary>
    /// A file written by version 1 keeps its free pages: it takes incremental auto-vacuum only by a
    /// rebuild (VACUUM), which writes up to twice the database. Without that room it stays as it is
    /// (its freed pages are reused, not given back) and is tried again at the next open.
    /// </summary>
    private static void GiveFreePagesBack(SqliteConnection connection, SpoolHeadroom headroom)
    {
        var databaseBytes = connection.QueryInt64("PRAGMA page_count;") * connection.QueryInt64("PRAGMA page_size;");
        if (headroom.Refuses(2 * databaseBytes) is not null)
        {
            return;
        }
        connection.Execute("PRAGMA auto_vacuum = INCREMENTAL;");
        connection.Execute("VACUUM;");
    }

    private static string Script()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("MailCluster.Spool.Sqlite.schema.sql")
            ?? throw new InvalidOperationException("The embedded SQLite schema is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
