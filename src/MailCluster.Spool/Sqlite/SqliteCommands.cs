using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>One-off statements (pragmas, upgrades) outside the writer's prepared ones.</summary>
internal static class SqliteCommands
{
    public static int Execute(this SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    public static long QueryInt64(this SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
