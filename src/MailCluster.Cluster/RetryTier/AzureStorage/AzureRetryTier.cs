using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using MailCluster.Spool;

namespace MailCluster.Cluster.RetryTier.AzureStorage;

/// <summary>
/// The retry tier on Azure Storage: entries are messages in <see cref="TierQueues"/> whose
/// visibility is the next attempt time (they never expire by TTL); <see cref="TierBlobs"/> holds
/// big bodies, finished-recipient records and dead letters; <see cref="TierIndex"/> is the table
/// operators count and act through. Every call goes through <see cref="StorageCalls"/>: one retry,
/// a 10 s network timeout, so an outage fails fast and the caller keeps the mail where it is.
/// </summary>
internal sealed class AzureRetryTier : IRetryTier
{
    private readonly TierQueues _queues;
    private readonly TierBlobs _blobs;
    private readonly TierIndex _index;
    private readonly ReceivedMessages _received;
    private readonly StorageCalls _calls;

    /// <param name="transport">A policy every request passes through last (tests put network faults there).</param>
    public AzureRetryTier(string connectionString, string serviceId, RetryTierOptions options, RetryTierMetrics metrics, TimeProvider time, HttpPipelinePolicy? transport = null)
    {
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var blobOptions = new BlobClientOptions();
        var tableOptions = new TableClientOptions();
        foreach (var clientOptions in new ClientOptions[] { queueOptions, blobOptions, tableOptions })
        {
            // StorageCalls retries, so it knows which answers came to a repeated request.
            clientOptions.Retry.MaxRetries = 0;
            clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
            if (transport is not null)
            {
                clientOptions.AddPolicy(transport, HttpPipelinePosition.PerRetry);
            }
        }
        var name = QueueName(serviceId);
        var calls = new StorageCalls(metrics, time);
        _queues = new TierQueues(new QueueServiceClient(connectionString, queueOptions), name, options.Partitions, calls, time);
        _blobs = new TierBlobs(new BlobContainerClient(connectionString, name, blobOptions), calls);
        _index = new TierIndex(new TableClient(connectionString, AzureStorageAccount.TableName(serviceId, "RetryIndex"), tableOptions), calls);
        _received = new ReceivedMessages(_queues, _blobs, options, metrics);
        _calls = calls;
    }

    /// <summary>
    /// Queue and container names allow 3-63 lower-case letters, digits and single hyphens: "mc",
    /// the ServiceId (validated as 1-40 lower-case letters and digits, so two never share a name), "-retry".
    /// </summary>
    public static string QueueName(string serviceId) => $"mc{serviceId}-retry";

    public string PartitionOf(string domain) => _queues.PartitionOf(domain);

    public async Task AddAsync(RetryEntry entry, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        var partition = PartitionOf(entry.Domain);
        await _queues.EnsureAsync(partition, cancellationToken);
        var (message, blob) = RetryEntryCodec.Encode(entry);
        if (blob is not null)
        {
            // Content first: a queue message never names a blob that is not there.
            await _blobs.UploadEntryAsync(entry.Id, blob, cancellationToken);
        }
        var receipt = await _calls.CallAsync("add", () => _queues.Queue(partition).SendMessageAsync(message, _queues.Visibility(dueAt), TimeSpan.FromSeconds(-1), cancellationToken));
        await _index.WriteAsync(entry, partition, receipt.Value.MessageId, receipt.Value.PopReceipt, "queued", cancellationToken);
    }

    public Task<IReadOnlyList<string>> PartitionsAsync(CancellationToken cancellationToken) => _queues.PartitionsAsync(cancellationToken);

    public async Task<IReadOnlyList<ReceivedEntry>> ReceiveAsync(string partition, int max, TimeSpan lease, CancellationToken cancellationToken) =>
        await _received.DecodeAsync(partition, await _queues.ReceiveAsync(partition, max, lease, cancellationToken), cancellationToken);

    public async Task<bool> ExtendAsync(ReceivedEntry received, TimeSpan lease, CancellationToken cancellationToken) =>
        await UpdateAsync("extend", received, null, lease, cancellationToken) is not null;

    public async Task<bool> RescheduleAsync(ReceivedEntry received, RetryEntry updated, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        var azure = (AzureReceivedEntry)received;
        var body = RetryEntryCodec.Rewrite(azure.Body, updated, azure.Decoded.BlobRecipients);
        if (await UpdateAsync("reschedule", received, body, _queues.Visibility(dueAt), cancellationToken) is null)
        {
            return false;
        }
        azure.Body = body;
        var attempted = updated.Attempts != received.Entry.Attempts;
        var unrecorded = received.UnrecordedReceives;
        received.Entry = updated;
        // After an attempt (not after a hold: holds of a suspended site are many, and the index is approximate).
        if (attempted)
        {
            await _index.WriteAsync(updated, received.Partition, received.MessageId, received.PopReceipt, "deferred", cancellationToken);
        }
        if (unrecorded > 0)
        {
            await ForgetFinishedAsync(received, cancellationToken);
        }
        return true;
    }

    public async Task<bool> DeleteAsync(ReceivedEntry received, CancellationToken cancellationToken)
    {
        try
        {
            await _queues.DeleteAsync(received.Partition, received.MessageId, received.PopReceipt, cancellationToken);
        }
        catch (StorageVerdictException e) when (!e.Repeated)
        {
            return false;
        }
        catch (StorageVerdictException)
        {
            // Gone after a repeated request: the first one deleted it.
        }
        if (((AzureReceivedEntry)received).Decoded.InBlob)
        {
            await _blobs.DeleteEntryAsync(received.Entry.Id, cancellationToken);
        }
        if (received.UnrecordedReceives > 0)
        {
            await ForgetFinishedAsync(received, cancellationToken);
        }
        await _index.RemoveAsync(received.Entry, cancellationToken);
        return true;
    }

    public Task RecordFinishedAsync(ReceivedEntry received, IReadOnlyCollection<EnvelopeRecipient> recipients, CancellationToken cancellationToken) =>
        _blobs.RecordFinishedAsync(received.Entry.Id, [.. recipients.Select(r => r.Address)], cancellationToken);

    public Task DeadLetterAsync(ReceivedEntry received, string reason, CancellationToken cancellationToken)
    {
        var entry = received.Entry;
        // The whole entry, content included, as one blob; the dead-letter queue lists them with the reason.
        var (message, blob) = RetryEntryCodec.Encode(entry);
        return _received.DeadLetterAsync(entry.Id, blob ?? message, new { entry.Id, entry.Domain, entry.Message.QueueId }, reason, cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, int>> CountByDomainAsync(CancellationToken cancellationToken) => _index.CountByDomainAsync(cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> ApproximateCountsAsync(CancellationToken cancellationToken) => _queues.ApproximateCountsAsync(cancellationToken);

    public async Task AddTombstoneAsync(RetryTombstone tombstone, TimeSpan dueIn, CancellationToken cancellationToken)
    {
        await _index.AddTombstoneAsync(tombstone, cancellationToken);
        // Where the index has a current pop receipt, the entry comes due soon; elsewhere at its next receive.
        foreach (var (queue, messageId, popReceipt) in await _index.LocateAsync(tombstone, cancellationToken))
        {
            try
            {
                await _calls.CallAsync("index", () => _queues.Queue(queue).UpdateMessageAsync(messageId, popReceipt, visibilityTimeout: dueIn, cancellationToken: cancellationToken));
            }
            catch (StorageVerdictException)
            {
                // A stale receipt: the entry is being attempted or was rewritten; it meets the tombstone at its next receive.
            }
        }
    }

    public Task<IReadOnlyList<RetryTombstone>> TombstonesAsync(DateTimeOffset since, CancellationToken cancellationToken) => _index.TombstonesAsync(since, cancellationToken);

    /// <summary>Whether the answer came to a repeated request, or null when another consumer owns the entry.</summary>
    private async Task<bool?> UpdateAsync(string kind, ReceivedEntry received, BinaryData? body, TimeSpan visibility, CancellationToken cancellationToken)
    {
        try
        {
            var answer = await _calls.AnswerAsync(kind, () => _queues.Queue(received.Partition).UpdateMessageAsync(received.MessageId, received.PopReceipt, body, visibility, cancellationToken));
            received.PopReceipt = answer.Value.Value.PopReceipt;
            return answer.Repeated;
        }
        catch (StorageVerdictException e) when (e.Repeated && body is not null)
        {
            throw new RetryTierOutcomeUnknownException($"the rewrite of retry tier entry {received.Entry.Id} may have been made: its reply was lost", e);
        }
        catch (StorageVerdictException)
        {
            return null;
        }
    }

    /// <summary>Records of recipients finished by an earlier holder are void once the entry is rewritten or gone.</summary>
    private async Task ForgetFinishedAsync(ReceivedEntry received, CancellationToken cancellationToken)
    {
        try
        {
            await _blobs.ForgetFinishedAsync(received.Entry.Id, cancellationToken);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            // A record left behind names recipients the entry no longer has: harmless.
        }
    }
}
