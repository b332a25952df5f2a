using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>One batch transaction of the writer, with its statements prepared on first use.</summary>
internal sealed class SqliteBatch(SqliteConnection connection, SqliteTransaction transaction)
{
    private SqliteMessageInsert? _messages;
    private SqliteDeliveryWrites? _delivery;

    public SqliteMessageInsert Messages => _messages ??= new SqliteMessageInsert(connection, transaction);

    public SqliteDeliveryWrites Delivery => _delivery ??= new SqliteDeliveryWrites(connection, transaction);
}
