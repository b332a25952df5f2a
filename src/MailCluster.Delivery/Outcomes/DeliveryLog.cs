using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;

namespace MailCluster.Delivery.Outcomes;

/// <summary>One line of the delivery log: one recipient's attempt, as KumoMTA's Delivery/TransientFailure/Bounce records.</summary>
public sealed record DeliveryLogRecord(
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("queue_id")] string QueueId,
    [property: JsonPropertyName("recipient")] string Recipient,
    [property: JsonPropertyName("domain")] string Domain,
    [property: JsonPropertyName("mx_host")] string? MxHost,
    [property: JsonPropertyName("mx_ip")] string? MxAddress,
    [property: JsonPropertyName("tls")] string? Tls,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("reply")] string Reply,
    [property: JsonPropertyName("attempt")] int Attempt,
    [property: JsonPropertyName("latency_ms")] double LatencyMs,
    [property: JsonPropertyName("queue_seconds")] double QueueSeconds,
    [property: JsonPropertyName("next_attempt")] DateTimeOffset? NextAttempt,
    [property: JsonPropertyName("dsn_queue_id")] string? DsnQueueId);

[JsonSerializable(typeof(DeliveryLogRecord))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class DeliveryLogJson : JsonSerializerContext;

/// <summary>
/// Writes the per-attempt JSON lines to a file or standard output from one background writer, so
/// delivery never waits for log I/O. Records beyond the buffer are counted and dropped, never blocking.
/// </summary>
public sealed class DeliveryLog : IAsyncDisposable
{
    private readonly Channel<DeliveryLogRecord> _records = Channel.CreateBounded<DeliveryLogRecord>(
        new BoundedChannelOptions(65_536) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TextWriter _output;
    private readonly Task _writer;

    public DeliveryLog(string path)
    {
        _output = path == "-" ? Console.Out : new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = false };
        _writer = Task.Run(WriteAsync);
    }

    public void Write(DeliveryLogRecord record) => _records.Writer.TryWrite(record);

    public async ValueTask DisposeAsync()
    {
        _records.Writer.TryComplete();
        await _writer;
        if (_output != Console.Out)
        {
            await _output.DisposeAsync();
        }
    }

    private async Task WriteAsync()
    {
        var reader = _records.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var record))
            {
                await _output.WriteLineAsync(JsonSerializer.Serialize(record, DeliveryLogJson.Default.DeliveryLogRecord));
            }
            await _output.FlushAsync();
        }
    }
}
