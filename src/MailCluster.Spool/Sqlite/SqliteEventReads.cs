using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>The event journal's reads, each on its own pooled connection beside the writer (<see cref="SqliteReads"/>).</summary>
internal sealed class SqliteEventReads(SqliteReads reads)
{
    public ValueTask<IReadOnlyList<StoredEvent>> ReadAsync(long after, int limit, CancellationToken cancellationToken) =>
        reads.ReadAsync<IReadOnlyList<StoredEvent>>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT id, created, body FROM events WHERE id > $after ORDER BY id LIMIT $limit";
                command.Parameters.AddWithValue("$after", after);
                command.Parameters.AddWithValue("$limit", limit);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var events = new List<StoredEvent>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    events.Add(new StoredEvent(reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), (byte[])reader.GetValue(2)));
                }
                return events;
            },
            cancellationToken);

    /// <summary>The sink's saved cursor; 0 (before every event) for a sink that never took one.</summary>
    public ValueTask<long> ReadCursorAsync(string sink, CancellationToken cancellationToken) =>
        reads.ReadAsync<long>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT position FROM event_cursors WHERE sink = $sink";
                command.Parameters.AddWithValue("$sink", sink);
                return await command.ExecuteScalarAsync(cancellationToken) is long position ? position : 0;
            },
            cancellationToken);

    /// <summary>
    /// Events after <paramref name="after"/>, from the first and last rows alone (two rowid lookups, no
    /// scan): positions are contiguous, since rows leave only from the front, so the count is a
    /// difference of positions and the bytes a difference of offsets.
    /// </summary>
    public ValueTask<EventBacklog> BacklogAsync(long after, CancellationToken cancellationToken) =>
        reads.ReadAsync<EventBacklog>(
            async connection =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText =
                    """
                    SELECT last.id - first.id + 1, last.end_offset - (first.end_offset - length(first.body)), first.created
                    FROM (SELECT id, end_offset, body, created FROM events WHERE id > $after ORDER BY id LIMIT 1) AS first,
                         (SELECT id, end_offset FROM events ORDER BY id DESC LIMIT 1) AS last
                    """;
                command.Parameters.AddWithValue("$after", after);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    return EventBacklog.None;
                }
                return new EventBacklog(reader.GetInt64(0), reader.GetInt64(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)));
            },
            cancellationToken);
}
