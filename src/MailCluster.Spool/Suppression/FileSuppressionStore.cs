using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MailCluster.Spool;

/// <summary>
/// The suppression list of a single silo: an append-only file of JSON lines beside the spool,
/// each change flushed to disk before it counts. The cursor is the file offset read up to.
/// </summary>
public sealed class FileSuppressionStore(string path) : ISuppressionStore
{
    public const string FileName = "suppressions.jsonl";

    private readonly Lock _append = new();

    public Task WriteAsync(IReadOnlyList<SuppressionEntry> entries, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_append)
        {
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            var before = file.Length;
            try
            {
                foreach (var entry in entries)
                {
                    file.Write(JsonSerializer.SerializeToUtf8Bytes(entry));
                    file.WriteByte((byte)'\n');
                }
                // The changes count once they are on disk (one flush for all), as the spool's own commits do.
                file.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                // A full disk may have taken half the line: cut it, so that the next line starts clean.
                file.SetLength(before);
                throw;
            }
        }
        return Task.CompletedTask;
    }

    public async Task<SuppressionChanges> ReadChangesAsync(string? cursor, CancellationToken cancellationToken)
    {
        var offset = cursor is null ? 0 : long.Parse(cursor, CultureInfo.InvariantCulture);
        if (!File.Exists(path))
        {
            return new SuppressionChanges([], offset.ToString(CultureInfo.InvariantCulture));
        }
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1 << 16);
        file.Seek(offset, SeekOrigin.Begin);
        // Line by line, so that a long list is never in memory twice; only whole lines count, as a
        // write may be half on disk right now (JSON escapes everything but ASCII: a char is an octet).
        using var reader = new StreamReader(file, Encoding.UTF8);
        var entries = new List<SuppressionEntry>();
        var remaining = file.Length - offset;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            var octets = line.Length + 1;
            if (octets > remaining)
            {
                break;
            }
            remaining -= octets;
            offset += octets;
            // A line that does not parse (a torn write from before the truncation above existed) is skipped, not fatal.
            if (line.Length > 0 && TryParse(line) is { } entry)
            {
                entries.Add(entry);
            }
        }
        return new SuppressionChanges(entries, offset.ToString(CultureInfo.InvariantCulture));
    }

    private static SuppressionEntry? TryParse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<SuppressionEntry>(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
