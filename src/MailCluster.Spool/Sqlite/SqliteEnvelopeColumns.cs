using MailCluster.Smtp.Protocol;
using Microsoft.Data.Sqlite;

namespace MailCluster.Spool.Sqlite;

/// <summary>
/// How envelopes map onto columns, both ways. RET and NOTIFY are stored as their RFC 3461 keywords
/// (spools written before typed parameters hold the same words, NOTIFY sometimes with spaces).
/// </summary>
internal static class SqliteEnvelopeColumns
{
    /// <summary>The message columns, in the order <see cref="ReadMessage"/> expects them.</summary>
    public const string Message = "m.queue_id, m.sender, m.received_at, m.size, m.envid, m.ret, m.smtputf8, m.eight_bit, m.pool, m.message_id_header, m.submitter";

    /// <summary>How many columns <see cref="Message"/> names: where the columns after it start.</summary>
    public const int MessageCount = 11;

    /// <summary>The recipient columns, in the order <see cref="ReadRecipient"/> expects them.</summary>
    public const string Recipient = "r.address, r.domain, r.notify, r.orcpt";

    public static SpoolMessage ReadMessage(SqliteDataReader reader, int first) => new(
        reader.GetString(first),
        reader.GetString(first + 1),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first + 2)),
        reader.GetInt64(first + 3),
        NullableText(reader, first + 4),
        DsnParameterText.TryParseReturn(NullableText(reader, first + 5), out var ret) ? ret : DsnReturn.Unspecified,
        reader.GetBoolean(first + 6),
        reader.GetBoolean(first + 7),
        NullableText(reader, first + 8),
        NullableText(reader, first + 9),
        NullableText(reader, first + 10));

    public static EnvelopeRecipient ReadRecipient(SqliteDataReader reader, int first) => new(
        reader.GetString(first),
        reader.GetString(first + 1),
        DsnParameterText.TryParseNotify(NullableText(reader, first + 2), out var notify) ? notify : DsnNotify.Unspecified,
        NullableText(reader, first + 3));

    public static object Text(DsnReturn value) => (object?)DsnParameterText.Format(value) ?? DBNull.Value;

    public static object Text(DsnNotify value) => (object?)DsnParameterText.Format(value) ?? DBNull.Value;

    public static object Text(string? value) => (object?)value ?? DBNull.Value;

    private static string? NullableText(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
