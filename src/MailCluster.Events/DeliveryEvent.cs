using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailCluster.Events;

/// <summary>What happened to one recipient, as KumoMTA's log records name it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EventKind>))]
public enum EventKind
{
    /// <summary>Accepted and committed to the spool.</summary>
    Reception,

    /// <summary>Accepted by the recipient's MX.</summary>
    Delivery,

    /// <summary>A temporary failure: tried again later.</summary>
    TransientFailure,

    /// <summary>A permanent failure: a DSN went to the sender.</summary>
    Bounce,

    /// <summary>Still undelivered when the queue lifetime ran out: bounced.</summary>
    Expiration,

    /// <summary>Refused at RCPT because the address is on the suppression list.</summary>
    Suppressed,

    /// <summary>Bounced by an operator.</summary>
    AdminBounce,

    /// <summary>The recipient complained (a feedback-loop report).</summary>
    Complaint,
}

/// <summary>
/// One record per recipient and happening, for the sender's systems. <see cref="Id"/> is stable:
/// a sink that gets it twice (at-least-once) drops the second by it. Fields a happening does not
/// have are left out of the JSON.
/// </summary>
public sealed record DeliveryEvent(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] EventKind Kind,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("silo")] string Silo,
    [property: JsonPropertyName("queue_id")] string? QueueId,
    [property: JsonPropertyName("message_id")] string? MessageId,
    [property: JsonPropertyName("sender")] string Sender,
    [property: JsonPropertyName("recipient")] string Recipient,
    [property: JsonPropertyName("user")] string? User = null,
    [property: JsonPropertyName("client")] string? Client = null,
    [property: JsonPropertyName("pool")] string? Pool = null,
    [property: JsonPropertyName("source")] string? Source = null,
    [property: JsonPropertyName("attempt")] int? Attempt = null,
    [property: JsonPropertyName("mx_host")] string? MxHost = null,
    [property: JsonPropertyName("mx_ip")] string? MxAddress = null,
    [property: JsonPropertyName("status")] string? Status = null,
    [property: JsonPropertyName("reply")] string? Reply = null,
    [property: JsonPropertyName("category")] string? Category = null,
    [property: JsonPropertyName("rule")] string? Rule = null,
    [property: JsonPropertyName("next_attempt")] DateTimeOffset? NextAttempt = null,
    [property: JsonPropertyName("dsn_queue_id")] string? DsnQueueId = null)
{
    /// <summary>The event's JSON, as it is stored and sent.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, DeliveryEventJson.Relaxed.DeliveryEvent);

    /// <summary>Reads a stored event; null for bytes that are not one (a journal written by a later version).</summary>
    public static DeliveryEvent? FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, DeliveryEventJson.Relaxed.DeliveryEvent);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSerializable(typeof(DeliveryEvent))]
internal sealed partial class DeliveryEventJson : JsonSerializerContext
{
    /// <summary>
    /// Absent fields left out, and text as it is: a receiver reads JSON, never HTML, so "&lt;id@host&gt;"
    /// stays readable instead of "\u003Cid@host\u003E" (quotes, backslashes and controls are still escaped).
    /// </summary>
    public static DeliveryEventJson Relaxed { get; } = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
