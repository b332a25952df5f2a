using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>The event journal's writes inside the writer's batches: events, sinks' cursors and trimming; prepared once per writer connection.</summary>
internal sealed class SqliteEventWrites
{
    private readonly SqliteCommand _append;
    private readonly SqliteCommand _saveCursor;
    private readonly SqliteCommand _removeTaken;
    private readonly SqliteCommand _edges;
    private readonly SqliteCommand _endAt;
    private readonly SqliteCommand[] _all;

    public SqliteEventWrites(SqliteConnection connection)
    {
        // The offset follows the last row's: two index lookups, no scan.
        _append = Command(connection,
            """
            INSERT INTO events (created, end_offset, body)
            VALUES ($created, coalesce((SELECT end_offset FROM events ORDER BY id DESC LIMIT 1), 0) + length($body), $body)
            """);
        _saveCursor = Command(connection,
            "INSERT INTO event_cursors (sink, position) VALUES ($sink, $position) ON CONFLICT (sink) DO UPDATE SET position = max(position, excluded.position)");
        _removeTaken = Command(connection, "DELETE FROM events WHERE id <= $taken");
        _edges = Command(connection,
            """
            SELECT first.id, first.end_offset - length(first.body), last.id, last.end_offset
            FROM (SELECT id, end_offset, body FROM events ORDER BY id LIMIT 1) AS first,
                 (SELECT id, end_offset FROM events ORDER BY id DESC LIMIT 1) AS last
            """);
        _endAt = Command(connection, "SELECT end_offset FROM events WHERE id = $id");
        _all = [_append, _saveCursor, _removeTaken, _edges, _endAt];
    }

    /// <summary>Binds the prepared statements to the batch's transaction.</summary>
    public SqliteEventWrites In(SqliteTransaction transaction)
    {
        foreach (var command in _all)
        {
            command.Transaction = transaction;
        }
        return this;
    }

    public void Append(IReadOnlyList<SpoolEvent>? events)
    {
        if (events is null)
        {
            return;
        }
        for (var i = 0; i < events.Count; i++)
        {
            Append(events[i]);
        }
    }

    /// <summary>The outcomes' events, in the outcomes' order.</summary>
    public void Append(IReadOnlyList<RecipientOutcome> outcomes)
    {
        for (var i = 0; i < outcomes.Count; i++)
        {
            if (outcomes[i].Event is { } reported)
            {
                Append(reported);
            }
        }
    }

    public void SaveCursor(string sink, long position)
    {
        var p = _saveCursor.Parameters;
        p.Clear();
        p.AddWithValue("$sink", sink);
        p.AddWithValue("$position", position);
        _saveCursor.ExecuteNonQuery();
    }

    /// <summary>
    /// Removes what every sink has taken (through <paramref name="takenByAll"/>), then the oldest
    /// events beyond <paramref name="maxBytes"/>; returns how many of those were dropped untaken.
    /// </summary>
    public int Trim(long takenByAll, long maxBytes)
    {
        _removeTaken.Parameters.Clear();
        _removeTaken.Parameters.AddWithValue("$taken", takenByAll);
        _removeTaken.ExecuteNonQuery();
        if (DropBoundary(maxBytes) is not { } through)
        {
            return 0;
        }
        _removeTaken.Parameters.Clear();
        _removeTaken.Parameters.AddWithValue("$taken", through);
        return _removeTaken.ExecuteNonQuery();
    }

    /// <summary>
    /// The last position to drop so that what stays is within <paramref name="maxBytes"/>, or null
    /// when it already is. Offsets grow with positions and positions are contiguous, so a binary
    /// search by rowid finds it: a few lookups, no index on the offsets to keep up at every insert.
    /// </summary>
    private long? DropBoundary(long maxBytes)
    {
        long first, start, last, end;
        using (var reader = _edges.ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }
            (first, start, last, end) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        }
        if (end - start <= maxBytes)
        {
            return null;
        }
        // Drop every row whose end offset is at most end - maxBytes: the last such position.
        var limit = end - maxBytes;
        var (low, high) = (first, last);
        while (low < high)
        {
            var middle = low + ((high - low + 1) / 2);
            if (EndAt(middle) <= limit)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }
        return EndAt(low) <= limit ? low : null;
    }

    private long EndAt(long position)
    {
        _endAt.Parameters.Clear();
        _endAt.Parameters.AddWithValue("$id", position);
        return (long)_endAt.ExecuteScalar()!;
    }

    private void Append(SpoolEvent reported)
    {
        var p = _append.Parameters;
        p.Clear();
        p.AddWithValue("$created", reported.Time.ToUnixTimeMilliseconds());
        p.AddWithValue("$body", reported.Body);
        _append.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
