using System.Buffers;
using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>The prepared statements that store one message and its recipients; prepared once per writer connection.</summary>
internal sealed class SqliteMessageInsert
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _message;
    private readonly SqliteCommand _recipient;

    public SqliteMessageInsert(SqliteConnection connection)
    {
        _connection = connection;
        _message = connection.CreateCommand();
        _message.CommandText =
            """
            INSERT INTO messages (queue_id, sender, received_at, size, envid, ret, smtputf8, eight_bit, pool, message_id_header, submitter, content)
            VALUES ($queue_id, $sender, $received_at, $size, $envid, $ret, $smtputf8, $eight_bit, $pool, $message_id_header, $submitter, zeroblob($size))
            RETURNING id
            """;
        _recipient = connection.CreateCommand();
        _recipient.CommandText =
            """
            INSERT INTO recipients (message_id, address, domain, state, next_attempt_at, notify, orcpt)
            VALUES ($message_id, $address, $domain, 0, $next_attempt_at, $notify, $orcpt)
            """;
    }

    /// <summary>Binds the prepared statements to the batch's transaction.</summary>
    public SqliteMessageInsert In(SqliteTransaction transaction)
    {
        _message.Transaction = transaction;
        _recipient.Transaction = transaction;
        return this;
    }

    public bool Insert(SpoolEnvelope envelope, SpoolContent content)
    {
        var message = envelope.Message;
        var receivedAt = message.ReceivedAt.ToUnixTimeMilliseconds();
        var p = _message.Parameters;
        p.Clear();
        p.AddWithValue("$queue_id", message.QueueId);
        p.AddWithValue("$sender", message.Sender);
        p.AddWithValue("$received_at", receivedAt);
        p.AddWithValue("$size", content.Length);
        p.AddWithValue("$envid", SqliteEnvelopeColumns.Text(message.EnvelopeId));
        p.AddWithValue("$ret", SqliteEnvelopeColumns.Text(message.Return));
        p.AddWithValue("$smtputf8", message.SmtpUtf8);
        p.AddWithValue("$eight_bit", message.EightBitMime);
        p.AddWithValue("$pool", SqliteEnvelopeColumns.Text(message.Pool));
        p.AddWithValue("$message_id_header", SqliteEnvelopeColumns.Text(message.MessageIdHeader));
        p.AddWithValue("$submitter", SqliteEnvelopeColumns.Text(message.Submitter));
        var messageId = (long)_message.ExecuteScalar()!;

        // The content goes in place through incremental blob I/O: no contiguous copy of the message.
        using (var blob = new SqliteBlob(_connection, "messages", "content", messageId))
        {
            content.CopyTo(blob.Write);
        }

        foreach (var recipient in envelope.Recipients)
        {
            var r = _recipient.Parameters;
            r.Clear();
            r.AddWithValue("$message_id", messageId);
            r.AddWithValue("$address", recipient.Address);
            r.AddWithValue("$domain", recipient.Domain);
            r.AddWithValue("$next_attempt_at", receivedAt);
            r.AddWithValue("$notify", SqliteEnvelopeColumns.Text(recipient.Notify));
            r.AddWithValue("$orcpt", SqliteEnvelopeColumns.Text(recipient.OriginalRecipient));
            _recipient.ExecuteNonQuery();
        }
        return true;
    }
}
