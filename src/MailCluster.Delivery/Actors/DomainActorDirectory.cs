using System.Collections.Concurrent;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// Finds or activates the one actor of a domain, starts it and, at shutdown, stops it and awaits
/// it; an idle actor removes itself. Suspension lives in the site's grain, which every actor
/// hears from with its grant, so an actor activated later for a suspended domain holds its mail.
/// </summary>
internal sealed class DomainActorDirectory
{
    private readonly ConcurrentDictionary<string, Lazy<DomainActor>> _actors = new(StringComparer.OrdinalIgnoreCase);
    // Deactivated actors finishing their loop: awaited at shutdown like the active ones.
    private readonly ConcurrentDictionary<Task, byte> _retiring = new();
    private readonly DeliveryRuntime _runtime;
    private volatile bool _stopping;

    public DomainActorDirectory(DeliveryRuntime runtime)
    {
        _runtime = runtime;
    }

    public IEnumerable<DomainActor> Active => _actors.Values.Where(a => a.IsValueCreated).Select(a => a.Value);

    /// <summary>Tells the domain's actor (activating it if needed) that the spool has due recipients.</summary>
    public void Wake(string domain) => _ = Send(domain, new DomainCommand.RecipientsDue());

    /// <summary>Hands a retry-tier job to the domain's actor (activating it if needed); false when no actor takes it (stopping).</summary>
    public bool Offer(string domain, Egress.DeliveryJob job) => Send(domain, new DomainCommand.Received(job));

    /// <summary>Tells the domain's actor, if it is active, that an operator changed its suspension at the grain.</summary>
    public void SuspensionChanged(string domain) => Tell(domain, new DomainCommand.SuspensionChanged());

    /// <summary>After a shaping reload: every active actor resolves its limits again.</summary>
    public void Reshape()
    {
        foreach (var actor in Active)
        {
            actor.TryPost(new DomainCommand.Reshape());
        }
    }

    /// <summary>Stops every actor: unattempted recipients go back to the spool, connections finish their transaction.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        var actors = Active.ToList();
        foreach (var actor in actors)
        {
            // False when it deactivated meanwhile: it released its work on the way out.
            await actor.PostAsync(new DomainCommand.Stop());
        }
        try
        {
            await Task.WhenAll(actors.Select(a => a.Completion).Concat(_retiring.Keys));
        }
        finally
        {
            // Outcomes handed in so far are written before the spool closes, whatever happened above.
            await _runtime.Recorder.DrainAsync();
            await _runtime.Sites.DisposeAsync();
        }
    }

    /// <summary>Posts to the domain's actor if it is active; an inactive one reads the state it needs when it starts.</summary>
    private void Tell(string domain, DomainCommand command)
    {
        if (_actors.TryGetValue(domain, out var entry) && entry.IsValueCreated)
        {
            entry.Value.TryPost(command);
        }
    }

    private bool Send(string domain, DomainCommand command)
    {
        // A deactivating actor refuses posts; it has removed itself by then, so the retry activates a new one.
        for (var tries = 0; tries < 3 && !_stopping; tries++)
        {
            // Lazy: GetOrAdd may run its factory twice under a race, but only one actor may ever start.
            var actor = _actors.GetOrAdd(domain, d => new Lazy<DomainActor>(() => Activate(d))).Value;
            if (actor.TryPost(command))
            {
                return true;
            }
        }
        return false;
    }

    private DomainActor Activate(string domain)
    {
        var actor = new DomainActor(domain, _runtime, Remove);
        actor.Start();
        return actor;
    }

    private void Remove(DomainActor actor)
    {
        if (_actors.TryGetValue(actor.Domain, out var entry) && entry.IsValueCreated && entry.Value == actor)
        {
            _actors.TryRemove(KeyValuePair.Create(actor.Domain, entry));
        }
        foreach (var done in _retiring.Keys.Where(t => t.IsCompleted))
        {
            _retiring.TryRemove(done, out _);
        }
        _retiring.TryAdd(actor.Completion, 0);
    }
}
