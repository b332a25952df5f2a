using System.Text.Json;
using Azure.Storage.Queues.Models;
using MailCluster.Spool;

namespace MailCluster.Cluster.RetryTier.AzureStorage;

/// <summary>
/// Turns received queue messages into entries, each on its own so one that fails never throws its
/// batch mates back. One that can never be decoded (bad data, its content gone: a repeated add
/// whose twin was delivered and deleted the blob) is dead-lettered and removed; one whose content
/// cannot be read now is put back for a hold with the receive recorded, so an outage of the blob
/// service strikes no entry toward poison.
/// </summary>
internal sealed class ReceivedMessages(TierQueues queues, TierBlobs blobs, RetryTierOptions options, RetryTierMetrics metrics)
{
    public async Task<IReadOnlyList<ReceivedEntry>> DecodeAsync(string partition, IEnumerable<QueueMessage> messages, CancellationToken cancellationToken) =>
        [.. (await Task.WhenAll(messages.Select(m => DecodeAsync(partition, m, cancellationToken)))).OfType<ReceivedEntry>()];

    /// <summary>Keeps an entry's whole content as a dead letter, and lists it with the reason.</summary>
    public async Task DeadLetterAsync(string name, BinaryData content, object about, string reason, CancellationToken cancellationToken)
    {
        var blob = await blobs.DeadLetterAsync(name, content, cancellationToken);
        await queues.ListDeadLetterAsync(about, reason, blob, cancellationToken);
    }

    private async Task<ReceivedEntry?> DecodeAsync(string partition, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            var decoded = await RetryEntryCodec.DecodeAsync(message.Body, id => blobs.ReadEntryAsync(id, cancellationToken));
            var received = new AzureReceivedEntry(decoded, partition, message);
            if (received.UnrecordedReceives > 0)
            {
                // The last holder's rewrite may not have gone through: leave out what it finished.
                var finished = await blobs.FinishedAsync(received.Entry.Id, cancellationToken);
                received.Entry = received.Entry with { Recipients = [.. received.Entry.Recipients.Where(r => !finished.Contains(r.Address))] };
            }
            return received;
        }
        catch (Exception e) when (e is JsonException or EntryContentGoneException)
        {
            await DeadLetterUndecodableAsync(partition, message, e.Message, cancellationToken);
            return null;
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            await PutBackUnreadAsync(partition, message, cancellationToken);
            return null;
        }
    }

    /// <summary>Moves a message that can never be decoded to the dead-letter store; if storage fails, it reappears after its lease and is tried again.</summary>
    private async Task DeadLetterUndecodableAsync(string partition, QueueMessage message, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await DeadLetterAsync(message.MessageId, message.Body, new { message.MessageId }, $"undecodable: {reason}", cancellationToken);
            await queues.DeleteAsync(partition, message.MessageId, message.PopReceipt, cancellationToken);
            metrics.Moved("out", "undecodable", 1);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            // Its batch mates still come; this one is dead-lettered at a later receive.
        }
    }

    private async Task PutBackUnreadAsync(string partition, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            var body = RetryEntryCodec.WithReceives(message.Body, (int)message.DequeueCount);
            await queues.Queue(partition).UpdateMessageAsync(message.MessageId, message.PopReceipt, body, options.HoldInterval, cancellationToken);
            metrics.Held("unreadable");
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            // It reappears after its lease, one receive unrecorded.
        }
    }
}

/// <summary>A received entry with what Azure needs to rewrite it: its current queue message, and the blob's recipients.</summary>
internal sealed class AzureReceivedEntry(RetryEntryCodec.Decoded decoded, string partition, QueueMessage message)
    : ReceivedEntry(decoded.Entry, partition, message.MessageId, message.PopReceipt, message.DequeueCount)
{
    public BinaryData Body { get; set; } = message.Body;

    public RetryEntryCodec.Decoded Decoded { get; } = decoded;
}
