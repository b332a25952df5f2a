using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace MailCluster.Cluster.RetryTier.AzureStorage;

/// <summary>
/// The tier's queues: partitions <c>mc&lt;ServiceId&gt;-retry-p&lt;k&gt;</c> (a domain hashes to
/// one) whose messages' visibility is the next attempt time, and the dead-letter queue
/// <c>mc&lt;ServiceId&gt;-retry-dead</c> listing dead letters with their reason.
/// </summary>
internal sealed class TierQueues(QueueServiceClient service, string name, int partitions, StorageCalls calls, TimeProvider time)
{
    private static readonly TimeSpan s_longestVisibility = TimeSpan.FromDays(7);

    private readonly string _partitionPrefix = $"{name}-p";
    private readonly string _deadLetterQueue = $"{name}-dead";

    public string PartitionOf(string domain) => $"{_partitionPrefix}{Fnv1a(domain.ToLowerInvariant()) % (uint)partitions}";

    public QueueClient Queue(string queue) => service.GetQueueClient(queue);

    public Task EnsureAsync(string queue, CancellationToken cancellationToken) =>
        calls.OnceAsync(queue, () => calls.CallAsync("create", () => Queue(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken)));

    public async Task<IReadOnlyList<string>> PartitionsAsync(CancellationToken cancellationToken) =>
        await calls.CallAsync("list", async () =>
        {
            var names = new List<string>();
            await foreach (var queue in service.GetQueuesAsync(prefix: _partitionPrefix, cancellationToken: cancellationToken))
            {
                names.Add(queue.Name);
            }
            return names;
        });

    public async Task<IReadOnlyDictionary<string, long>> ApproximateCountsAsync(CancellationToken cancellationToken)
    {
        var names = await PartitionsAsync(cancellationToken);
        var sizes = await Task.WhenAll(names.Select(p => calls.CallAsync("count", () => Queue(p).GetPropertiesAsync(cancellationToken))));
        return names.Zip(sizes).ToDictionary(p => p.First, p => p.Second.Value.ApproximateMessagesCountLong, StringComparer.Ordinal);
    }

    public Task<QueueMessage[]> ReceiveAsync(string partition, int max, TimeSpan lease, CancellationToken cancellationToken) =>
        calls.CallAsync("receive", async () => (await Queue(partition).ReceiveMessagesAsync(Math.Clamp(max, 1, 32), lease, cancellationToken)).Value);

    public async Task DeleteAsync(string partition, string messageId, string popReceipt, CancellationToken cancellationToken) =>
        await calls.CallAsync("delete", () => Queue(partition).DeleteMessageAsync(messageId, popReceipt, cancellationToken));

    /// <summary>Lists a dead letter kept in <paramref name="blob"/>, with what it was and why.</summary>
    public async Task ListDeadLetterAsync(object about, string reason, string blob, CancellationToken cancellationToken)
    {
        await EnsureAsync(_deadLetterQueue, cancellationToken);
        var note = BinaryData.FromString(JsonSerializer.Serialize(new { About = about, Reason = reason, Blob = blob, At = time.GetUtcNow() }));
        await calls.CallAsync("deadletter", () => Queue(_deadLetterQueue).SendMessageAsync(note, TimeSpan.Zero, TimeSpan.FromSeconds(-1), cancellationToken));
    }

    /// <summary>How long a message stays hidden to come due at <paramref name="dueAt"/>.</summary>
    public TimeSpan Visibility(DateTimeOffset dueAt)
    {
        var wait = dueAt - time.GetUtcNow();
        // Azure allows up to 7 days; an entry due later is received early and put back (a hold).
        return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait > s_longestVisibility ? s_longestVisibility : wait;
    }

    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }
        return hash;
    }
}
