using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing;

namespace MailCluster.IntegrationTests.Chaos;

/// <summary>
/// Inflicts the faults of a schedule on a running cluster, one at a time. Before each, every silo
/// that is down is started again on its spool and the load must have had some transactions
/// accepted since the last fault, so a fault never lands on a cluster that is still recovering
/// from the one before without the test noticing.
/// </summary>
internal sealed class FaultInjector(ClusterWorld world, AzuriteServer storage, AiosmtpdSink mx, AckedLoad load, Action<string> log)
{
    // Transactions the load must have had accepted between two faults.
    private const int ProgressBetweenFaults = 5;

    private static readonly TimeSpan s_progressTimeout = TimeSpan.FromSeconds(120);

    private readonly Dictionary<FaultKind, int> _counts = Enum.GetValues<FaultKind>().ToDictionary(k => k, _ => 0);
    private string _moment = "before the first fault";

    public IReadOnlyDictionary<FaultKind, int> Counts => _counts;

    public int Total => _counts.Values.Sum();

    /// <summary>The fault in progress, or the last one.</summary>
    public string Moment => Volatile.Read(ref _moment);

    public async Task InflictAsync(IReadOnlyList<Fault> faults)
    {
        foreach (var fault in faults)
        {
            await RestartExitedSilosAsync();
            await WaitForProgressAsync(fault);
            var started = TimeProvider.System.GetTimestamp();
            Volatile.Write(ref _moment, $"during {fault}");
            await InflictAsync(fault);
            Volatile.Write(ref _moment, $"after {fault}");
            _counts[fault.Kind]++;
            log($"{TimeProvider.System.GetUtcNow():HH:mm:ss} {fault} done in {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.0}s; acked messages {load.AckedMessages}");
        }
        await RestartExitedSilosAsync();
    }

    /// <summary>A silo that was killed, or that left the cluster by itself (declared dead while paused), starts again on its spool.</summary>
    public async Task RestartExitedSilosAsync()
    {
        for (var i = 0; i < world.Silos.Count; i++)
        {
            if (world.Silos[i].HasExited)
            {
                log($"silo{i} is down: restarting it on its spool");
                await world.Silos[i].StartAsync();
            }
        }
    }

    private Task WaitForProgressAsync(Fault fault)
    {
        var before = load.AckedMessages;
        return Polling.UntilAsync(
            () => Task.FromResult(load.AckedMessages >= before + ProgressBetweenFaults),
            s_progressTimeout,
            () => $"before fault {fault}: the cluster accepted {load.AckedMessages - before} transactions in {s_progressTimeout} (of {load.Tried} tried)\n{world.Context()}",
            TimeSpan.FromMilliseconds(100));
    }

    private async Task InflictAsync(Fault fault)
    {
        var silo = world.Silos[fault.Silo];
        // fault.Length is how long a fault lasts, drawn from the seed: a duration to inflict, not a state to wait for.
        switch (fault.Kind)
        {
            case FaultKind.KillRestart:
                await silo.KillAsync();
                await silo.StartAsync();
                break;
            case FaultKind.KillLeftDown:
                await silo.KillAsync();
                await Task.Delay(fault.Length);
                await silo.StartAsync();
                break;
            case FaultKind.PauseSilo:
                await silo.PauseAsync();
                try
                {
                    await Task.Delay(fault.Length);
                }
                finally
                {
                    await silo.ResumeAsync();
                }
                break;
            case FaultKind.TermDuringStall:
                await TerminateDuringStallAsync(fault, silo);
                break;
            case FaultKind.PauseStorage:
                await storage.PauseAsync(fault.Service);
                try
                {
                    await Task.Delay(fault.Length);
                }
                finally
                {
                    await storage.ResumeAsync(fault.Service);
                }
                break;
            case FaultKind.LostReply:
                await LoseReplyAsync(fault);
                break;
        }
    }

    private async Task TerminateDuringStallAsync(Fault fault, SiloProcess silo)
    {
        var recipient = load.NewRecipient($"stall{fault.Length.TotalSeconds:0}+term");
        // The silo that accepts a message makes its first attempt: once the sink holds it, the silo is mid-transaction.
        await Polling.UntilAsync(
            () => load.SendAsync(silo, [recipient]),
            TimeSpan.FromSeconds(60),
            () => $"{fault}: silo{fault.Silo} accepted no message for the stalling sink\n{world.Context()}",
            TimeSpan.FromMilliseconds(200));
        await Polling.UntilAsync(
            () => Task.FromResult(mx.Stalled().Contains(recipient)),
            // Behind the load's backlog for the site, and a site held after the fault before.
            TimeSpan.FromSeconds(120),
            () => $"{fault}: the sink never held {recipient}\n{world.Context()}",
            TimeSpan.FromMilliseconds(20));
        var exit = await silo.TerminateAsync(TimeSpan.FromSeconds(90));
        log($"{fault}: silo{fault.Silo} exited {exit} on SIGTERM with {recipient} held at the sink");
        await silo.StartAsync();
    }

    private async Task LoseReplyAsync(Fault fault)
    {
        var proxy = storage.Proxy(fault.Service);
        var dropped = proxy.Dropped;
        proxy.DropNextReply();
        await Polling.UntilAsync(
            () => Task.FromResult(proxy.Dropped > dropped),
            TimeSpan.FromSeconds(60),
            () => $"{fault}: no request reached the {fault.Service} service\n{world.Context()}",
            TimeSpan.FromMilliseconds(20));
    }
}
