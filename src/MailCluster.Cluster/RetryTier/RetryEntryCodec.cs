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
    /// <summary>
    /// A queue message holds 64 KiB, 48 KiB of it raw once base64 encoded; the margin is for the
    /// header's growth on rewrites (a longer last reply).
    /// </summary>
    public const int InlineLimit = 44 * 1024;

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

    /// <summary>The rewritten queue message after an attempt or hold: the new header, and the body as it was (inline or in the blob).</summary>
    public static BinaryData Rewrite(BinaryData current, RetryEntry updated)
    {
        var header = Parse(current);
        var rewritten = Header.Of(updated) with { Body = header.Body, InBlob = header.InBlob };
        if (header.InBlob && header.Recipients is null)
        {
            // The recipients live in the blob: the header carries which of them remain.
            rewritten = rewritten with { Recipients = null, Remaining = [.. updated.Recipients.Select(r => r.Address)] };
        }
        return new BinaryData(JsonSerializer.SerializeToUtf8Bytes(rewritten, s_json));
    }

    public static Header Parse(BinaryData message) =>
        JsonSerializer.Deserialize<Header>(message.ToMemory().Span, s_json) ?? throw new JsonException("an empty retry entry");

    /// <summary>The entry from its queue message and, when the header says so, its blob.</summary>
    public static async Task<RetryEntry> DecodeAsync(BinaryData message, Func<string, Task<BinaryData>> readBlob)
    {
        var header = Parse(message);
        var body = header.Body ?? (header.InBlob
            ? JsonSerializer.Deserialize<Body>((await readBlob(header.Id)).ToMemory().Span, s_json)
            : null) ?? throw new JsonException($"retry entry {header.Id} has no body");
        var recipients = header.Recipients ?? body.Recipients ?? throw new JsonException($"retry entry {header.Id} has no recipients");
        if (header.Remaining is { } remaining)
        {
            var left = remaining.ToHashSet(StringComparer.Ordinal);
            recipients = [.. recipients.Where(r => left.Contains(r.Address))];
        }
        return new RetryEntry(header.Id, header.Domain, body.Message, recipients, header.Attempts, header.LastReply, header.Receives, header.MovedAt, body.Content);
    }

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
        IReadOnlyList<string>? Remaining = null,
        Body? Body = null)
    {
        public static Header Of(RetryEntry entry) =>
            new(entry.Id, entry.Domain, entry.Recipients, entry.Attempts, entry.LastReply, entry.Receives, entry.MovedAt);
    }

    internal sealed record Body(SpoolMessage Message, IReadOnlyList<EnvelopeRecipient>? Recipients, byte[] Content);
}
