using MailCluster.Delivery.Egress;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain actor's connection workers: how many are open (counted from start until the actor
/// hears they exited, so the count never undershoots the sockets), how many are still connecting,
/// which wait idle for a job, and how many jobs they are attempting.
/// </summary>
internal sealed class WorkerPool
{
    private readonly Queue<TaskCompletionSource<DeliveryJob?>> _idle = new();
    private readonly List<Task> _running = [];

    public int Open { get; private set; }

    public int Connecting { get; private set; }

    public int Idle => _idle.Count;

    /// <summary>Jobs handed out whose attempt the owner has not yet heard finish.</summary>
    public int JobsInFlight { get; private set; }

    /// <summary>Every worker task started and not yet seen exiting; the owner awaits them all before it ends.</summary>
    public Task AllExited => Task.WhenAll(_running);

    public void Started(Task worker)
    {
        Open++;
        Connecting++;
        _running.Add(worker);
    }

    /// <summary>A worker asks for a job; <paramref name="connected"/> on its first ask, when it has just connected.</summary>
    public void Waiting(TaskCompletionSource<DeliveryJob?> reply, bool connected)
    {
        Connecting -= connected ? 1 : 0;
        _idle.Enqueue(reply);
    }

    public void ConnectFailed() => Connecting--;

    public void Exited()
    {
        Open--;
        _running.RemoveAll(t => t.IsCompleted);
    }

    /// <summary>Gives the job to the longest-idle worker; only while <see cref="Idle"/> is above zero.</summary>
    public void HandOut(DeliveryJob job)
    {
        JobsInFlight++;
        _idle.Dequeue().SetResult(job);
    }

    public void JobFinished() => JobsInFlight--;

    /// <summary>Tells every idle worker to QUIT.</summary>
    public void CloseIdle()
    {
        while (_idle.TryDequeue(out var worker))
        {
            worker.TrySetResult(null);
        }
    }
}
