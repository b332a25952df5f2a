using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>The writer connection's statements, prepared on first use and kept for the life of the connection.</summary>
internal sealed class SqliteStatements(SqliteConnection connection)
{
    private SqliteMessageInsert? _messages;
    private SqliteDeliveryWrites? _delivery;
    private SqliteStateWrites? _state;
    private SqliteEventWrites? _events;

    public SqliteMessageInsert Messages => _messages ??= new SqliteMessageInsert(connection);

    public SqliteDeliveryWrites Delivery => _delivery ??= new SqliteDeliveryWrites(connection);

    public SqliteStateWrites State => _state ??= new SqliteStateWrites(connection);

    public SqliteEventWrites Events => _events ??= new SqliteEventWrites(connection);
}

/// <summary>One batch transaction of the writer: the cached statements, bound to it.</summary>
internal sealed class SqliteBatch(SqliteStatements statements, SqliteTransaction transaction)
{
    public SqliteMessageInsert Messages => statements.Messages.In(transaction);

    public SqliteDeliveryWrites Delivery => statements.Delivery.In(transaction);

    public SqliteStateWrites State => statements.State.In(transaction);

    public SqliteEventWrites Events => statements.Events.In(transaction);
}
