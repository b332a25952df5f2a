using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>
/// The claims a previous run left behind (it stopped mid-delivery): the embedded spool has one
/// owner, this process, so they are void and those recipients are due again at their next attempt
/// time. They are read at open and voided then; on a disk without room at open, after each commit
/// until it works. Only the rows claimed at open are voided, never this run's own claims.
/// </summary>
internal sealed class SqliteAbandonedClaims
{
    private readonly string _ids;
    private readonly Action<int> _voided;
    private bool _pending;

    private SqliteAbandonedClaims(List<long> ids, Action<int> voided)
    {
        _ids = $"[{string.Join(',', ids)}]";
        _voided = voided;
        _pending = ids.Count > 0;
    }

    /// <param name="voided">Told how many recipients were made due again, once they are.</param>
    public static SqliteAbandonedClaims Read(SqliteConnection connection, Action<int> voided)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM recipients WHERE state = 1";
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }
        return new SqliteAbandonedClaims(ids, voided);
    }

    /// <summary>Voids them unless done already; a full disk leaves them for the next try.</summary>
    public void TryVoid(SqliteConnection connection)
    {
        if (!_pending)
        {
            return;
        }
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE recipients SET state = 0 WHERE state = 1 AND id IN (SELECT value FROM json_each($ids))";
        command.Parameters.AddWithValue("$ids", _ids);
        try
        {
            var voided = command.ExecuteNonQuery();
            _pending = false;
            _voided(voided);
        }
        catch (SqliteException exception) when (SqliteFailures.IsFull(exception))
        {
            // Tried again after the next commit, which delivery's outcomes will free room for.
        }
    }
}
