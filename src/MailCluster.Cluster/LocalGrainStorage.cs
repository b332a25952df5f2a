using MailCluster.Spool;
using Orleans.Storage;

namespace MailCluster.Cluster;

/// <summary>
/// Grain state in the local spool for <c>Single</c> mode (Orleans has no durable local provider):
/// one value per grain and state name, fenced by the spool's versions as ETags.
/// </summary>
internal sealed class LocalGrainStorage(ILocalStateStore store, IGrainStorageSerializer serializer) : IGrainStorage
{
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var stored = await store.ReadStateAsync(Key(stateName, grainId), CancellationToken.None);
        grainState.State = stored is null ? Activator.CreateInstance<T>() : serializer.Deserialize<T>(new BinaryData(stored.Data))!;
        grainState.ETag = stored?.ETag;
        grainState.RecordExists = stored is not null;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var data = serializer.Serialize(grainState.State).ToArray();
        var etag = await store.WriteStateAsync(Key(stateName, grainId), grainState.ETag, data, CancellationToken.None)
            ?? throw new InconsistentStateException($"The state of {grainId} was written by another activation", grainState.ETag, currentEtag: null);
        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!await store.DeleteStateAsync(Key(stateName, grainId), grainState.ETag, CancellationToken.None))
        {
            throw new InconsistentStateException($"The state of {grainId} was written by another activation", grainState.ETag, currentEtag: null);
        }
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    private static string Key(string stateName, GrainId grainId) => $"grain/{stateName}/{grainId}";
}
