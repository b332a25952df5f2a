using System.Buffers;
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
/// delivery never waits for log I/O. Lines beyond the buffer, or that a failing disk (full, I/O
/// error) would not take, are counted as lost, never blocking delivery and never stopping the
/// silo: the log is a record of outcomes, the spool is their truth.
/// </summary>
public sealed class DeliveryLog : IAsyncDisposable
{
    private readonly Channel<DeliveryLogRecord> _records = Channel.CreateBounded<DeliveryLogRecord>(
        new BoundedChannelOptions(65_536) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Stream _output;
    private readonly DeliveryMetrics _metrics;
    private readonly Task _writer;

    public DeliveryLog(string path, DeliveryMetrics metrics)
    {
        _metrics = metrics;
        // Unbuffered: each round of lines is one write, and a write the disk refused leaves nothing behind to retry.
        _output = path == "-" ? Console.OpenStandardOutput() : new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        _writer = Task.Run(WriteAsync);
    }

    public void Write(DeliveryLogRecord record)
    {
        if (!_records.Writer.TryWrite(record))
        {
            _metrics.LogLinesLost(1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _records.Writer.TryComplete();
        await _writer;
        await _output.DisposeAsync();
    }

    private async Task WriteAsync()
    {
        var reader = _records.Reader;
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        await using var json = new Utf8JsonWriter(buffer);
        while (await reader.WaitToReadAsync())
        {
            buffer.ResetWrittenCount();
            var lines = 0;
            while (lines < 1000 && reader.TryRead(out var record))
            {
                json.Reset(buffer);
                JsonSerializer.Serialize(json, record, DeliveryLogJson.Default.DeliveryLogRecord);
                json.Flush();
                buffer.Write("\n"u8);
                lines++;
            }
            try
            {
                await _output.WriteAsync(buffer.WrittenMemory);
            }
            catch (IOException)
            {
                // A full or failing disk: this round's lines are lost (part of them may have reached the file).
                _metrics.LogLinesLost(lines);
            }
        }
    }
}
