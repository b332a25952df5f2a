using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace MailCluster.Cluster.RetryTier.AzureStorage;

/// <summary>
/// The tier's container: bodies too big for a queue message (<c>entries/&lt;id&gt;</c>), the
/// recipients an entry finished with when its rewrite did not go through
/// (<c>finished/&lt;id&gt;/&lt;record&gt;</c>, one record per writer, so a repeated upload never
/// collides), and dead letters (<c>dead/&lt;name&gt;</c>).
/// </summary>
internal sealed class TierBlobs(BlobContainerClient container, StorageCalls calls)
{
    public async Task UploadEntryAsync(string entryId, BinaryData body, CancellationToken cancellationToken)
    {
        await EnsureAsync();
        await calls.CallAsync("add", () => container.GetBlobClient(EntryBlob(entryId)).UploadAsync(body, overwrite: true, cancellationToken));
    }

    /// <summary>An entry's body; <see cref="EntryContentGoneException"/> when it is gone for good.</summary>
    public async Task<BinaryData> ReadEntryAsync(string entryId, CancellationToken cancellationToken)
    {
        try
        {
            return (await calls.CallAsync("receive", () => container.GetBlobClient(EntryBlob(entryId)).DownloadContentAsync(cancellationToken))).Value.Content;
        }
        catch (StorageVerdictException e) when (e.Status == 404)
        {
            throw new EntryContentGoneException($"the content blob of retry tier entry {entryId} is gone", e);
        }
    }

    public Task DeleteEntryAsync(string entryId, CancellationToken cancellationToken) =>
        calls.CallAsync("delete", () => container.GetBlobClient(EntryBlob(entryId)).DeleteIfExistsAsync(cancellationToken: cancellationToken));

    public async Task RecordFinishedAsync(string entryId, IReadOnlyCollection<string> addresses, CancellationToken cancellationToken)
    {
        await EnsureAsync();
        var record = BinaryData.FromString(string.Join('\n', addresses));
        await calls.CallAsync("finished", () => container.GetBlobClient($"{FinishedPrefix(entryId)}{Guid.NewGuid():N}").UploadAsync(record, overwrite: true, cancellationToken));
    }

    public async Task<IReadOnlySet<string>> FinishedAsync(string entryId, CancellationToken cancellationToken)
    {
        var finished = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in await FinishedRecordsAsync(entryId, cancellationToken))
        {
            var record = await calls.CallAsync("finished", () => container.GetBlobClient(name).DownloadContentAsync(cancellationToken));
            finished.UnionWith(Encoding.UTF8.GetString(record.Value.Content).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        return finished;
    }

    public async Task ForgetFinishedAsync(string entryId, CancellationToken cancellationToken)
    {
        foreach (var name in await FinishedRecordsAsync(entryId, cancellationToken))
        {
            await calls.CallAsync("finished", () => container.GetBlobClient(name).DeleteIfExistsAsync(cancellationToken: cancellationToken));
        }
    }

    /// <summary>Keeps a dead letter's whole content under <c>dead/&lt;name&gt;</c>; returns the blob's name.</summary>
    public async Task<string> DeadLetterAsync(string name, BinaryData content, CancellationToken cancellationToken)
    {
        await EnsureAsync();
        var blob = $"dead/{name}";
        await calls.CallAsync("deadletter", () => container.GetBlobClient(blob).UploadAsync(content, overwrite: true, cancellationToken));
        return blob;
    }

    private async Task<List<string>> FinishedRecordsAsync(string entryId, CancellationToken cancellationToken)
    {
        // Entries that ride inline never made the container.
        await EnsureAsync();
        return await calls.CallAsync("finished", async () =>
        {
            var names = new List<string>();
            await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, FinishedPrefix(entryId), cancellationToken))
            {
                names.Add(blob.Name);
            }
            return names;
        });
    }

    private Task EnsureAsync() => calls.OnceAsync("~container", () => calls.CallAsync("create", () => container.CreateIfNotExistsAsync()));

    private static string EntryBlob(string id) => $"entries/{id}";

    private static string FinishedPrefix(string id) => $"finished/{id}/";
}

/// <summary>An entry's content blob is gone: deleted with a twin of the entry (a repeated add) that ended.</summary>
internal sealed class EntryContentGoneException(string message, Exception inner) : Exception(message, inner);
