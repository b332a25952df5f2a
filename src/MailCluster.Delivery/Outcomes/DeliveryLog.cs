using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;

namespace MailCluster.Delivery.Outcomes;

/// <summary>
/// One line of the delivery log: one recipient's attempt, as KumoMTA's Delivery/TransientFailure/Bounce
/// records; a failure's category (<c>InvalidRecipient</c>, <c>Greylisted</c>...) and the response rule
/// that matched its reply, if one did.
/// </summary>
internal sealed record DeliveryLogRecord(
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
    [property: JsonPropertyName("dsn_queue_id")] string? DsnQueueId,
    [property: JsonPropertyName("source")] string? Source = null,
    [property: JsonPropertyName("category")] string? Category = null,
    [property: JsonPropertyName("rule")] string? Rule = null);

[JsonSerializable(typeof(DeliveryLogRecord))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class DeliveryLogJson : JsonSerializerContext;

/// <summary>
/// Writes the per-attempt JSON lines to a file or standard output from one background writer, so
/// delivery never waits for log I/O. Lines beyond the buffer, or that a failing disk (full, I/O
/// error) would not take, are counted as lost, never blocking delivery and never stopping the
/// silo: the log is a record of outcomes, the spool is their truth.
/// </summary>
internal sealed class DeliveryLog : IHostedService, IAsyncDisposable
{
    // POSIX PIPE_BUF on Linux: writes up to this size to a pipe are atomic.
    private const int PipeAtomicWrite = 4096;

    /// <summary>Lines buffered for the writer; beyond them lines are counted as lost, never waited for.</summary>
    private const int BufferedLines = 65_536;

    private readonly Channel<DeliveryLogRecord> _records = Channel.CreateBounded<DeliveryLogRecord>(
        new BoundedChannelOptions(BufferedLines) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Stream _output;
    private readonly DeliveryMetrics _metrics;
    private Task _writer = Task.CompletedTask;
    private bool _torn;

    public DeliveryLog(string path, DeliveryMetrics metrics)
    {
        _metrics = metrics;
        // Unbuffered: each round of lines is one write, and a write the disk refused leaves nothing behind to retry.
        _output = path == "-" ? Console.OpenStandardOutput() : new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
    }

    /// <summary>Starts the writer; lines written before are buffered (up to the channel's bound).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writer = Task.Run(WriteAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Writes what is buffered, then ends; registered before delivery, so it stops after every outcome is recorded.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _records.Writer.TryComplete();
        return _writer;
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
        await StopAsync(CancellationToken.None);
        await _output.DisposeAsync();
    }

    private async Task WriteAsync()
    {
        var reader = _records.Reader;
        var pending = new ArrayBufferWriter<byte>(2 * PipeAtomicWrite);
        var line = new ArrayBufferWriter<byte>(1024);
        await using var json = new Utf8JsonWriter(line);
        var lines = 0;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var record))
            {
                line.ResetWrittenCount();
                json.Reset(line);
                JsonSerializer.Serialize(json, record, DeliveryLogJson.Default.DeliveryLogRecord);
                json.Flush();
                line.Write("\n"u8);
                // Each write at most PIPE_BUF where the lines allow: a pipe (stdout in a container) then
                // never interleaves it with the console logger's lines.
                if (pending.WrittenCount > 0 && pending.WrittenCount + line.WrittenCount > PipeAtomicWrite)
                {
                    await WriteLinesAsync(pending, lines);
                    lines = 0;
                }
                if (pending.WrittenCount == 0 && _torn)
                {
                    // A write the disk cut short left half a line: end it, so the next record stands alone.
                    pending.Write("\n"u8);
                }
                pending.Write(line.WrittenSpan);
                lines++;
            }
            await WriteLinesAsync(pending, lines);
            lines = 0;
        }
    }

    private async Task WriteLinesAsync(ArrayBufferWriter<byte> pending, int lines)
    {
        try
        {
            await _output.WriteAsync(pending.WrittenMemory);
            _torn = false;
        }
        catch (IOException)
        {
            // A full or failing disk: these lines are lost (part of them may have reached the file).
            _metrics.LogLinesLost(lines);
            _torn = true;
        }
        pending.ResetWrittenCount();
    }
}
