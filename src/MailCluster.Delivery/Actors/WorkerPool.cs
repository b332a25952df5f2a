using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Egress.Sources;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain actor's connection workers, by source: how many are open (counted from start until the
/// actor hears they exited, so the count never undershoots the sockets), how many are still
/// connecting, which wait idle for a job, and how many jobs they are attempting.
/// </summary>
internal sealed class WorkerPool
{
    private readonly Dictionary<EgressSource, SourceWorkers> _bySource = [];
    private readonly List<Task> _running = [];

    public int Open { get; private set; }

    public int Connecting { get; private set; }

    public int Idle { get; private set; }

    /// <summary>Jobs handed out whose attempt the owner has not yet heard finish.</summary>
    public int JobsInFlight { get; private set; }

    /// <summary>Every worker task started and not yet seen exiting; the owner awaits them all before it ends.</summary>
    public Task AllExited => Task.WhenAll(_running);

    public int OpenOf(EgressSource source) => _bySource.GetValueOrDefault(source)?.Open ?? 0;

    public int IdleOf(EgressSource source) => _bySource.GetValueOrDefault(source)?.Idle.Count ?? 0;

    public int ConnectingOf(EgressSource source) => _bySource.GetValueOrDefault(source)?.Connecting ?? 0;

    public void Started(EgressSource source, Task worker)
    {
        Open++;
        Connecting++;
        Of(source).Open++;
        Of(source).Connecting++;
        _running.Add(worker);
    }

    /// <summary>A worker asks for a job; <paramref name="connected"/> on its first ask, when it has just connected.</summary>
    public void Waiting(EgressSource source, TaskCompletionSource<DeliveryJob?> reply, bool connected)
    {
        Connecting -= connected ? 1 : 0;
        Of(source).Connecting -= connected ? 1 : 0;
        Idle++;
        Of(source).Idle.Enqueue(reply);
    }

    public void ConnectFailed(EgressSource source)
    {
        Connecting--;
        Of(source).Connecting--;
    }

    public void Exited(EgressSource source)
    {
        Open--;
        Of(source).Open--;
        _running.RemoveAll(t => t.IsCompleted);
    }

    /// <summary>Gives the job to the source's longest-idle worker; only while <see cref="IdleOf"/> is above zero.</summary>
    public void HandOut(EgressSource source, DeliveryJob job)
    {
        JobsInFlight++;
        Idle--;
        Of(source).Idle.Dequeue().SetResult(job);
    }

    public void JobFinished() => JobsInFlight--;

    /// <summary>Tells every idle worker to QUIT.</summary>
    public void CloseIdle()
    {
        foreach (var source in _bySource.Keys)
        {
            CloseIdle(source);
        }
    }

    /// <summary>Tells the source's idle workers to QUIT.</summary>
    public void CloseIdle(EgressSource source)
    {
        while (CloseOneIdle(source))
        {
        }
    }

    /// <summary>Tells the source's longest-idle worker to QUIT; false when none is idle.</summary>
    public bool CloseOneIdle(EgressSource source)
    {
        if (!Of(source).Idle.TryDequeue(out var worker))
        {
            return false;
        }
        Idle--;
        worker.TrySetResult(null);
        return true;
    }

    private SourceWorkers Of(EgressSource source)
    {
        if (!_bySource.TryGetValue(source, out var workers))
        {
            _bySource[source] = workers = new SourceWorkers();
        }
        return workers;
    }

    private sealed class SourceWorkers
    {
        public int Open { get; set; }

        public int Connecting { get; set; }

        public Queue<TaskCompletionSource<DeliveryJob?>> Idle { get; } = new();
    }
}
