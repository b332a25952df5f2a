using System.Collections.Concurrent;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// Finds or activates the one actor of a domain; an idle actor removes itself. Suspensions are kept
/// here, so an actor activated later for a suspended domain starts suspended.
/// </summary>
public sealed class DomainActorDirectory
{
    private readonly ConcurrentDictionary<string, Lazy<DomainActor>> _actors = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _suspended = new(StringComparer.OrdinalIgnoreCase);
    private readonly DeliveryRuntime _runtime;
    private volatile bool _stopping;

    public DomainActorDirectory(DeliveryRuntime runtime)
    {
        _runtime = runtime;
    }

    public IEnumerable<DomainActor> Active => _actors.Values.Where(a => a.IsValueCreated).Select(a => a.Value);

    public bool IsSuspended(string domain) => _suspended.ContainsKey(domain);

    /// <summary>Tells the domain's actor (activating it if needed) that the spool has due recipients.</summary>
    public void Wake(string domain) => Send(domain, new DomainCommand.RecipientsDue());

    public void Suspend(string domain)
    {
        _suspended[domain] = true;
        Send(domain, new DomainCommand.Suspend());
    }

    public void Resume(string domain)
    {
        _suspended.TryRemove(domain, out _);
        Send(domain, new DomainCommand.Resume());
    }

    /// <summary>After a shaping reload: every active actor resolves its limits again.</summary>
    public void Reshape()
    {
        _runtime.Sites.Clear();
        foreach (var actor in Active)
        {
            actor.TryPost(new DomainCommand.Reshape());
        }
    }

    /// <summary>Stops every actor: unattempted recipients go back to the spool, connections finish their transaction.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        var stops = new List<Task>();
        foreach (var actor in Active)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                await actor.PostAsync(new DomainCommand.Stop(done));
                stops.Add(done.Task);
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                // Deactivated meanwhile: it released its work on the way out.
            }
        }
        await Task.WhenAll(stops);
        await _runtime.Recorder.DrainAsync();
    }

    private void Send(string domain, DomainCommand command)
    {
        // A deactivating actor refuses posts; it has removed itself by then, so the retry activates a new one.
        for (var tries = 0; tries < 3 && !_stopping; tries++)
        {
            // Lazy: GetOrAdd may run its factory twice under a race, but only one actor may ever start.
            var actor = _actors.GetOrAdd(domain, d => new Lazy<DomainActor>(() => new DomainActor(d, _runtime, IsSuspended(d), Remove))).Value;
            if (actor.TryPost(command))
            {
                return;
            }
        }
    }

    private void Remove(DomainActor actor)
    {
        if (_actors.TryGetValue(actor.Domain, out var entry) && entry.IsValueCreated && entry.Value == actor)
        {
            _actors.TryRemove(KeyValuePair.Create(actor.Domain, entry));
        }
    }
}
