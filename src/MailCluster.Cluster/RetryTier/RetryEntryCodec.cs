using System.Text.Json;
using System.Text.Json.Serialization;
using MailCluster.Cluster.RetryTier;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;

namespace MailCluster.Cluster.RetryTier;

/// <summary>
/// An entry as a queue message: a header (id, domain, recipients, attempts, last reply, receives)
/// that every rewrite changes, and a body (envelope and content) that never changes. The body rides
/// inline when the whole message fits <see cref="InlineLimit"/>, else it is a blob the header
/// names. Recipients go with the body when there are so many they would crowd the header out.
/// </summary>
internal static class RetryEntryCodec
{
    /// <summary>A queue message holds 64 KiB, 48 KiB of it raw once base64 encoded.</summary>
    public const int MessageLimit = 48 * 1024;

    /// <summary>
    /// The margin under <see cref="MessageLimit"/> is for the header's growth on rewrites: the last
    /// reply, at most <see cref="StoredReplyLimit"/>. Recipients only ever shrink.
    /// </summary>
    public const int InlineLimit = 44 * 1024;

    /// <summary>The last reply is kept to its first 1,024 characters (RFC 5321 4.5.3.1.5 allows 512 a line, and replies may run to many lines).</summary>
    public const int StoredReplyLimit = 1024;

    private const int HeaderRecipientsLimit = 16 * 1024;

    private static readonly JsonSerializerOptions s_json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The queue message for <paramref name="entry"/> and, when it does not fit, the blob holding its body.</summary>
    public static (BinaryData Message, BinaryData? Blob) Encode(RetryEntry entry)
    {
        var body = new Body(entry.Message, null, entry.Content.ToArray());
        var header = Header.Of(entry);
        var inline = JsonSerializer.SerializeToUtf8Bytes(header with { Body = body }, s_json);
        if (inline.Length <= InlineLimit)
        {
            return (new BinaryData(inline), null);
        }
        var recipientsInBody = JsonSerializer.SerializeToUtf8Bytes(entry.Recipients, s_json).Length > HeaderRecipientsLimit;
        var blob = JsonSerializer.SerializeToUtf8Bytes(body with { Recipients = recipientsInBody ? entry.Recipients : null }, s_json);
        var message = header with { InBlob = true, Recipients = recipientsInBody ? null : entry.Recipients };
        return (new BinaryData(JsonSerializer.SerializeToUtf8Bytes(message, s_json)), new BinaryData(blob));
    }

    /// <summary>
    /// The rewritten queue message after an attempt or hold: the new header, and the body as it was
    /// (inline or in the blob). <paramref name="blobRecipients"/> is the blob's recipient list, when
    /// the recipients live there (<see cref="Decoded.BlobRecipients"/>).
    /// </summary>
    public static BinaryData Rewrite(BinaryData current, RetryEntry updated, IReadOnlyList<EnvelopeRecipient>? blobRecipients)
    {
        var header = Parse(current);
        var rewritten = Header.Of(updated) with { Body = header.Body, InBlob = header.InBlob };
        if (header.InBlob && header.Recipients is null)
        {
            // The recipients live in the blob: the header carries which of them remain, a bit each
            // in the blob's order (100,000 recipients take 17 KiB), so the header stays bounded.
            rewritten = rewritten with { Recipients = null, Remaining = RemainingBits(blobRecipients ?? throw new ArgumentNullException(nameof(blobRecipients)), updated.Recipients) };
        }
        return new BinaryData(JsonSerializer.SerializeToUtf8Bytes(rewritten, s_json));
    }

    /// <summary>The queue message with its receive count set, nothing else changed: for an entry put back unread.</summary>
    public static BinaryData WithReceives(BinaryData current, int receives) =>
        new(JsonSerializer.SerializeToUtf8Bytes(Parse(current) with { Receives = receives }, s_json));

    public static Header Parse(BinaryData message) =>
        JsonSerializer.Deserialize<Header>(message.ToMemory().Span, s_json) ?? throw new JsonException("an empty retry entry");

    /// <summary>The entry from its queue message and, when the header says so, its blob.</summary>
    public static async Task<Decoded> DecodeAsync(BinaryData message, Func<string, Task<BinaryData>> readBlob)
    {
        var header = Parse(message);
        var body = header.Body ?? (header.InBlob
            ? JsonSerializer.Deserialize<Body>((await readBlob(header.Id)).ToMemory().Span, s_json)
            : null) ?? throw new JsonException($"retry entry {header.Id} has no body");
        var recipients = header.Recipients ?? body.Recipients ?? throw new JsonException($"retry entry {header.Id} has no recipients");
        if (header.Remaining is { } remaining)
        {
            recipients = [.. recipients.Where((_, i) => i / 8 < remaining.Length && (remaining[i / 8] & (1 << (i % 8))) != 0)];
        }
        var entry = new RetryEntry(header.Id, header.Domain, body.Message, recipients, header.Attempts, header.LastReply, header.Receives, header.MovedAt, body.Content);
        return new Decoded(entry, header.InBlob, header.Recipients is null ? body.Recipients : null);
    }

    /// <summary>A decoded entry, whether its body is a blob, and the blob's whole recipient list when the recipients live there (a rewrite needs it).</summary>
    public sealed record Decoded(RetryEntry Entry, bool InBlob, IReadOnlyList<EnvelopeRecipient>? BlobRecipients);

    /// <summary>The part of an entry that changes: everything but the envelope and content.</summary>
    internal sealed record Header(
        string Id,
        string Domain,
        IReadOnlyList<EnvelopeRecipient>? Recipients,
        int Attempts,
        string? LastReply,
        int Receives,
        DateTimeOffset MovedAt,
        bool InBlob = false,
        byte[]? Remaining = null,
        Body? Body = null)
    {
        public static Header Of(RetryEntry entry) =>
            new(entry.Id, entry.Domain, entry.Recipients, entry.Attempts, Bounded(entry.LastReply), entry.Receives, entry.MovedAt);

        private static string? Bounded(string? reply) =>
            reply is null || reply.Length <= StoredReplyLimit ? reply
            : reply[..(char.IsHighSurrogate(reply[StoredReplyLimit - 1]) ? StoredReplyLimit - 1 : StoredReplyLimit)];
    }

    /// <summary>Which of the blob's recipients remain: bit i set for recipient i of the blob's list.</summary>
    private static byte[] RemainingBits(IReadOnlyList<EnvelopeRecipient> all, IReadOnlyList<EnvelopeRecipient> remaining)
    {
        var places = new Dictionary<EnvelopeRecipient, Queue<int>>();
        for (var i = 0; i < all.Count; i++)
        {
            (places.TryGetValue(all[i], out var queue) ? queue : places[all[i]] = new Queue<int>()).Enqueue(i);
        }
        var bits = new byte[(all.Count + 7) / 8];
        foreach (var recipient in remaining)
        {
            // Equal recipients (the same RCPT twice) take one place each.
            var i = places[recipient].Dequeue();
            bits[i / 8] |= (byte)(1 << (i % 8));
        }
        return bits;
    }

    internal sealed record Body(SpoolMessage Message, IReadOnlyList<EnvelopeRecipient>? Recipients, byte[] Content);
}
