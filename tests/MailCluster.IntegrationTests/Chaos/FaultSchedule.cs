using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Chaos;

internal enum FaultKind
{
    /// <summary>kill -9 of a silo, restarted on its own spool at once.</summary>
    KillRestart,

    /// <summary>kill -9 of a silo, left down for <see cref="Fault.Length"/>, then restarted on its spool.</summary>
    KillLeftDown,

    /// <summary>SIGSTOP of a silo for longer than a site lease, then SIGCONT.</summary>
    PauseSilo,

    /// <summary>SIGTERM of a silo while the sink holds a message of it after DATA, then a restart.</summary>
    TermDuringStall,

    /// <summary>SIGSTOP of one storage service's Azurite for <see cref="Fault.Length"/>, then SIGCONT.</summary>
    PauseStorage,

    /// <summary>A storage request carried out whose reply the proxy swallows (the caller sees a reset).</summary>
    LostReply,
}

/// <summary>One fault of the schedule: what, on which silo or storage service, for how long.</summary>
internal sealed record Fault(int Number, FaultKind Kind, int Silo, StorageService Service, TimeSpan Length)
{
    public override string ToString() => Kind switch
    {
        FaultKind.PauseStorage => $"#{Number} {Kind} {Service} {Length.TotalSeconds:0.#}s",
        FaultKind.LostReply => $"#{Number} {Kind} {Service}",
        FaultKind.KillRestart => $"#{Number} {Kind} silo{Silo}",
        _ => $"#{Number} {Kind} silo{Silo} {Length.TotalSeconds:0.#}s",
    };
}

/// <summary>The faults of a run, all drawn from its seed before it starts: the same seed gives the same sequence.</summary>
internal static class FaultSchedule
{
    public static IReadOnlyList<Fault> Draw(int seed, int count, int silos, TimeSpan siteLease)
    {
        var random = new Random(seed);
        var kinds = Enum.GetValues<FaultKind>();
        return [.. Enumerable.Range(1, count).Select(number =>
        {
            var kind = kinds[random.Next(kinds.Length)];
            var silo = random.Next(silos);
            // Every service may be paused; replies are lost on the queue and table services, which
            // the silos call every second (the blob service can go unused for minutes).
            var service = kind == FaultKind.LostReply
                ? (random.Next(2) == 0 ? StorageService.Queue : StorageService.Table)
                : (StorageService)random.Next(3);
            var length = kind switch
            {
                // Longer than a lease, so the site grain hands the paused silo's share to the others.
                FaultKind.PauseSilo => siteLease + TimeSpan.FromMilliseconds(random.Next(1000, 3000)),
                FaultKind.KillLeftDown => TimeSpan.FromMilliseconds(random.Next(2000, 8000)),
                FaultKind.PauseStorage => TimeSpan.FromMilliseconds(random.Next(2000, 6000)),
                // How long the sink holds the DATA: longer than the silo's drain timeout.
                FaultKind.TermDuringStall => TimeSpan.FromSeconds(6),
                _ => TimeSpan.Zero,
            };
            return new Fault(number, kind, silo, service, length);
        })];
    }
}
