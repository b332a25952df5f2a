using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>The delivery side's writes: claiming due recipients and recording their outcomes; prepared once per writer connection.</summary>
internal sealed class SqliteDeliveryWrites
{
    private const string DueColumns =
        $"""
        SELECT r.id, r.attempts, {SqliteEnvelopeColumns.Recipient}, {SqliteEnvelopeColumns.Message}
        FROM recipients r JOIN messages m ON m.id = r.message_id
        """;

    /// <summary>The first column after the message's, in <see cref="DueColumns"/>' order.</summary>
    private const int AfterMessage = 6 + SqliteEnvelopeColumns.MessageCount;

    private readonly SqliteCommand _selectDue;
    private readonly SqliteCommand _selectChosen;
    private readonly SqliteCommand _selectHandOff;
    private readonly SqliteCommand _reschedule;
    private readonly SqliteCommand _claim;
    private readonly SqliteCommand _remove;
    private readonly SqliteCommand _removeMessageIfDone;
    private readonly SqliteCommand _defer;
    private readonly SqliteCommand _release;
    private readonly SqliteCommand[] _all;

    public SqliteDeliveryWrites(SqliteConnection connection)
    {
        _selectDue = Command(connection, DueColumns + "\n" + """
            WHERE r.domain = $domain AND r.state = 0 AND r.next_attempt_at <= $now
              AND ($except IS NULL OR NOT (CASE WHEN m.pool IS NULL THEN $unnamed ELSE m.pool IN (SELECT value FROM json_each($except)) END))
            ORDER BY r.next_attempt_at, r.message_id, r.id
            LIMIT $limit
            """);
        _selectChosen = Command(connection, DueColumns + "\n" + """
            WHERE r.state = 0 AND ($domain IS NULL OR r.domain = $domain) AND ($queue_id IS NULL OR m.queue_id = $queue_id)
              AND ($accepted_by IS NULL OR m.received_at <= $accepted_by)
            ORDER BY r.message_id, r.id
            """);
        _selectHandOff = Command(connection, $"""
            SELECT r.id, r.attempts, {SqliteEnvelopeColumns.Recipient}, {SqliteEnvelopeColumns.Message}, r.next_attempt_at, r.last_reply
            FROM recipients r JOIN messages m ON m.id = r.message_id
            WHERE r.state = 0 AND r.attempts >= $min_attempts
            ORDER BY r.message_id, r.domain, r.id
            LIMIT $limit
            """);
        _reschedule = Command(connection,
            """
            UPDATE recipients SET next_attempt_at = $at
            WHERE state = 0 AND ($domain IS NULL OR domain = $domain)
              AND ($queue_id IS NULL OR message_id = (SELECT id FROM messages WHERE queue_id = $queue_id))
              AND ($accepted_by IS NULL OR message_id IN (SELECT id FROM messages WHERE received_at <= $accepted_by))
            """);
        _claim = Command(connection, "UPDATE recipients SET state = 1 WHERE id = $id");
        _remove = Command(connection, "DELETE FROM recipients WHERE id = $id RETURNING message_id");
        _removeMessageIfDone = Command(connection,
            "DELETE FROM messages WHERE id = $id AND NOT EXISTS (SELECT 1 FROM recipients WHERE message_id = $id) RETURNING queue_id");
        _defer = Command(connection,
            "UPDATE recipients SET state = 0, attempts = attempts + 1, next_attempt_at = $next, last_reply = $reply WHERE id = $id");
        _release = Command(connection, "UPDATE recipients SET state = 0 WHERE id = $id");
        _all = [_selectDue, _selectChosen, _selectHandOff, _reschedule, _claim, _remove, _removeMessageIfDone, _defer, _release];
    }

    public List<DueRecipient> Claim(string domain, DateTimeOffset now, int limit, PoolExclusion? except)
    {
        _selectDue.Parameters.Clear();
        _selectDue.Parameters.AddWithValue("$domain", domain);
        _selectDue.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        _selectDue.Parameters.AddWithValue("$limit", limit);
        _selectDue.Parameters.AddWithValue("$except", except is null ? DBNull.Value : JsonSerializer.Serialize(except.Named));
        _selectDue.Parameters.AddWithValue("$unnamed", except?.Unnamed ?? false);
        return ClaimRows(_selectDue);
    }

    public List<DueRecipient> Claim(RecipientSelector selector)
    {
        SetSelector(_selectChosen, selector);
        return ClaimRows(_selectChosen);
    }

    public List<HandOffRecipient> ClaimForHandOff(int minAttempts, int limit)
    {
        _selectHandOff.Parameters.Clear();
        _selectHandOff.Parameters.AddWithValue("$min_attempts", minAttempts);
        _selectHandOff.Parameters.AddWithValue("$limit", limit);
        var schedule = new List<(DateTimeOffset, string?)>();
        var due = ClaimRows(_selectHandOff, reader => schedule.Add((
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(AfterMessage)), reader.IsDBNull(AfterMessage + 1) ? null : reader.GetString(AfterMessage + 1))));
        return [.. due.Select((d, i) => new HandOffRecipient(d, schedule[i].Item1, schedule[i].Item2))];
    }

    public int Reschedule(RecipientSelector selector, DateTimeOffset at)
    {
        SetSelector(_reschedule, selector);
        _reschedule.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        return _reschedule.ExecuteNonQuery();
    }

    private static void SetSelector(SqliteCommand command, RecipientSelector selector)
    {
        command.Parameters.Clear();
        command.Parameters.AddWithValue("$domain", (object?)selector.Domain?.ToLowerInvariant() ?? DBNull.Value);
        command.Parameters.AddWithValue("$queue_id", (object?)selector.QueueId ?? DBNull.Value);
        command.Parameters.AddWithValue("$accepted_by", (object?)selector.AcceptedBy?.ToUnixTimeMilliseconds() ?? DBNull.Value);
    }

    private List<DueRecipient> ClaimRows(SqliteCommand select, Action<SqliteDataReader>? more = null)
    {
        var due = new List<DueRecipient>();
        using (var reader = select.ExecuteReader())
        {
            SpoolMessage? message = null;
            while (reader.Read())
            {
                // Recipients of one message come together: they share one message record.
                if (message?.QueueId != reader.GetString(6))
                {
                    message = SqliteEnvelopeColumns.ReadMessage(reader, 6);
                }
                due.Add(new DueRecipient(reader.GetInt64(0), SqliteEnvelopeColumns.ReadRecipient(reader, 2), reader.GetInt32(1), message));
                more?.Invoke(reader);
            }
        }
        foreach (var recipient in due)
        {
            Execute(_claim, ("$id", recipient.Id));
        }
        return due;
    }

    /// <summary>Records the outcomes; returns the queue ids of the messages that went with their last recipient.</summary>
    public List<string> Record(IReadOnlyList<RecipientOutcome> outcomes)
    {
        var touchedMessages = new HashSet<long>();
        foreach (var outcome in outcomes)
        {
            switch (outcome.Action)
            {
                case OutcomeAction.Delivered or OutcomeAction.Bounced or OutcomeAction.Deleted:
                    _remove.Parameters.Clear();
                    _remove.Parameters.AddWithValue("$id", outcome.RecipientId);
                    if (_remove.ExecuteScalar() is long messageId)
                    {
                        touchedMessages.Add(messageId);
                    }
                    break;
                case OutcomeAction.Deferred:
                    Execute(
                        _defer,
                        ("$id", outcome.RecipientId),
                        ("$next", (outcome.NextAttemptAt ?? throw new ArgumentException("A deferral needs its next attempt time.", nameof(outcomes))).ToUnixTimeMilliseconds()),
                        ("$reply", (object?)outcome.LastReply ?? DBNull.Value));
                    break;
                case OutcomeAction.Released:
                    Execute(_release, ("$id", outcome.RecipientId));
                    break;
            }
        }
        // A message is stored once for all its recipients; it goes with the last of them.
        var removed = new List<string>();
        foreach (var messageId in touchedMessages)
        {
            _removeMessageIfDone.Parameters.Clear();
            _removeMessageIfDone.Parameters.AddWithValue("$id", messageId);
            if (_removeMessageIfDone.ExecuteScalar() is string queueId)
            {
                removed.Add(queueId);
            }
        }
        return removed;
    }

    /// <summary>Binds the prepared statements to the batch's transaction.</summary>
    public SqliteDeliveryWrites In(SqliteTransaction transaction)
    {
        foreach (var command in _all)
        {
            command.Transaction = transaction;
        }
        return this;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static void Execute(SqliteCommand command, params (string Name, object Value)[] parameters)
    {
        command.Parameters.Clear();
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        command.ExecuteNonQuery();
    }
}
