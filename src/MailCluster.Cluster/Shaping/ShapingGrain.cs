using MailCluster.Cluster.Sites;
using MailCluster.Hosting;
using Orleans.Runtime;

namespace MailCluster.Cluster.Shaping;

/// <summary>
/// The cluster's record of shaping reloads (one grain, key 0). Every silo loads the same rules file;
/// an operator's reload on any silo files a request here, and every silo, reporting once a period,
/// learns of it, reloads its own copy and reports the hash of the rules it has in force.
/// </summary>
[Alias("mailcluster.IShapingGrain")]
public interface IShapingGrain : IGrainWithIntegerKey
{
    /// <summary>A silo's report, answered with the newest reload request (<see cref="ShapingRequest.None"/> before the first).</summary>
    [Alias("Report")]
    Task<ShapingRequest> ReportAsync(ShapingReport report, CancellationToken cancellationToken = default);

    /// <summary>Files a new reload request for every silo, to reach the rules whose hash is <paramref name="hash"/>; returns it once stored.</summary>
    [Alias("RequestReload")]
    Task<ShapingRequest> RequestReloadAsync(string hash, CancellationToken cancellationToken = default);

    /// <summary>The latest report of every silo heard from in the last <see cref="ShapingGrain.ReportsKept"/>.</summary>
    [Alias("Reports")]
    Task<IReadOnlyList<ShapingReport>> GetReportsAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// One silo's shaping as it reported it: the hash of its rules in force, the last reload request it
/// acted on, and why that reload failed (its old rules then stay in force).
/// </summary>
[GenerateSerializer, Immutable, Alias("mailcluster.ShapingReport")]
public sealed record ShapingReport(string Silo, string Hash, Guid Applied, string? Error, DateTimeOffset At);

/// <summary>
/// A reload request: its id, and the hash of the rules the asked silo reloaded. A silo whose own
/// copy of the file gives another hash (a ConfigMap not yet updated on its node) reads it again
/// every period until the hashes match.
/// </summary>
[GenerateSerializer, Immutable, Alias("mailcluster.ShapingRequest")]
public sealed record ShapingRequest(Guid Id, string Hash)
{
    public static readonly ShapingRequest None = new(Guid.Empty, string.Empty);
}

/// <summary>The newest reload request, in grain storage: it survives the grain moving, so no silo misses it.</summary>
[GenerateSerializer, Alias("mailcluster.ShapingState")]
public sealed class ShapingState
{
    [Id(0)]
    public Guid Request { get; set; }

    [Id(1)]
    public string Hash { get; set; } = string.Empty;
}

internal sealed class ShapingGrain(
    SiteClock clock,
    [PersistentState("shaping", GrainStorageNames.Default)] IPersistentState<ShapingState> state) : Grain, IShapingGrain
{
    /// <summary>Reports older than this are dropped: the silo left (a live one reports every <see cref="ClusterTimings.ShapingExchangePeriod"/>).</summary>
    public static readonly TimeSpan ReportsKept = TimeSpan.FromMinutes(2);

    private readonly Dictionary<string, ShapingReport> _reports = new(StringComparer.Ordinal);

    public Task<ShapingRequest> ReportAsync(ShapingReport report, CancellationToken cancellationToken = default)
    {
        _reports[report.Silo] = report with { At = clock.Now };
        return Task.FromResult(Current);
    }

    public async Task<ShapingRequest> RequestReloadAsync(string hash, CancellationToken cancellationToken = default)
    {
        var before = (state.State.Request, state.State.Hash);
        (state.State.Request, state.State.Hash) = (Guid.NewGuid(), hash);
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            // Not stored, not filed: silos must not follow a request the caller was told failed.
            (state.State.Request, state.State.Hash) = before;
            throw;
        }
        return Current;
    }

    private ShapingRequest Current => state.State.Request == Guid.Empty ? ShapingRequest.None : new ShapingRequest(state.State.Request, state.State.Hash);

    public Task<IReadOnlyList<ShapingReport>> GetReportsAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.Now;
        foreach (var gone in _reports.Values.Where(r => now - r.At > ReportsKept).ToList())
        {
            _reports.Remove(gone.Silo);
        }
        return Task.FromResult<IReadOnlyList<ShapingReport>>([.. _reports.Values.OrderBy(r => r.Silo, StringComparer.Ordinal)]);
    }
}
