using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>
/// Writes of <see cref="ILocalStateStore"/> values, inside the writer's batches. The table is made
/// on the first write, so opening a spool still writes nothing; its versions count up from 1.
/// </summary>
internal sealed class SqliteStateWrites(SqliteConnection connection)
{
    public const string Table = "local_state";

    private SqliteTransaction? _transaction;

    public SqliteStateWrites In(SqliteTransaction transaction)
    {
        _transaction = transaction;
        return this;
    }

    public string? Write(string key, string? expectedETag, byte[] data)
    {
        Execute($"CREATE TABLE IF NOT EXISTS {Table} (key TEXT PRIMARY KEY, version INTEGER NOT NULL, data BLOB NOT NULL)");
        var stored = StoredVersion(key);
        if (stored?.ToString(System.Globalization.CultureInfo.InvariantCulture) != expectedETag)
        {
            return null;
        }
        var next = (stored ?? 0) + 1;
        Execute($"INSERT INTO {Table} (key, version, data) VALUES ($key, $version, $data) ON CONFLICT (key) DO UPDATE SET version = excluded.version, data = excluded.data",
            ("$key", key), ("$version", next), ("$data", data));
        return next.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool Delete(string key, string? expectedETag)
    {
        Execute($"CREATE TABLE IF NOT EXISTS {Table} (key TEXT PRIMARY KEY, version INTEGER NOT NULL, data BLOB NOT NULL)");
        var stored = StoredVersion(key);
        if (stored?.ToString(System.Globalization.CultureInfo.InvariantCulture) != expectedETag)
        {
            return false;
        }
        Execute($"DELETE FROM {Table} WHERE key = $key", ("$key", key));
        return true;
    }

    private long? StoredVersion(string key)
    {
        using var command = Command($"SELECT version FROM {Table} WHERE key = $key", ("$key", key));
        return command.ExecuteScalar() is long version ? version : null;
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command;
    }
}
