using MailCluster.Cluster.Shaping;
using MailCluster.Cluster;
using MailCluster.Delivery.Actors;
using MailCluster.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailCluster.Delivery.Shaping;

/// <summary>What a reload did: the rules in force here, or why they were refused, and whether every silo was asked to follow.</summary>
public sealed record ShapingReloadResult(int Rules, string Hash, IReadOnlyList<string> Errors, string? ClusterError);

/// <summary>
/// Keeps every silo's shaping rules in step. Each silo loads the same rules file (a ConfigMap on
/// Kubernetes); <see cref="ReloadClusterAsync"/> reloads it here and files a request with the
/// cluster's <see cref="IShapingGrain"/>; every silo reports to that grain once a <see cref="Period"/>,
/// reloads its own copy when it sees a request it has not acted on, and reports its rules' hash. A
/// silo whose copy gives another hash than the asked silo's (a ConfigMap is updated on each node in
/// its own time, up to a minute or more) or is invalid reads it again every period, and says so in
/// <c>mailctl silos</c>, until it matches.
/// </summary>
public sealed partial class ClusterShaping : BackgroundService
{
    private readonly ClusterTimings _timings;

    /// <summary>How often a silo reports, and so how soon every silo follows a reload (<see cref="ClusterTimings.ShapingExchangePeriod"/>).</summary>
    public TimeSpan Period => _timings.ShapingExchangePeriod;

    private readonly IConfiguration _configuration;
    private readonly QueueOperations _queue;
    private readonly IGrainFactory _grains;
    private readonly string _silo;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Guid _applied;
    private Guid _pending;
    private string? _error;
    private readonly OutageLog _outage;

    internal ClusterShaping(IConfiguration configuration, QueueOperations queue, IGrainFactory grains, string silo, ClusterTimings timings, TimeProvider time, ILogger logger)
    {
        _timings = timings;
        _configuration = configuration;
        _queue = queue;
        _grains = grains;
        _silo = silo;
        _time = time;
        _logger = logger;
        _outage = new OutageLog((call, exception) => GrainUnreachable(logger, $"{call}: {exception.GetType().Name}", exception.Message), () => GrainBack(logger));
    }

    private IShapingGrain Grain => _grains.GetGrain<IShapingGrain>(0);

    /// <summary>
    /// Reloads the rules here, then asks every silo to follow. Invalid rules are refused and nobody is
    /// asked; the rules in force stay. When the grain does not answer, the rules are in force here only.
    /// </summary>
    public async Task<ShapingReloadResult> ReloadClusterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var (rules, errors) = ReloadHere();
            if (errors.Count > 0)
            {
                return new ShapingReloadResult(0, _queue.ShapingHash, errors, null);
            }
            try
            {
                using var timeout = Timeout(cancellationToken);
                (_applied, _error) = ((await Grain.RequestReloadAsync(_queue.ShapingHash, timeout.Token)).Id, null);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is not OutOfMemoryException)
            {
                return new ShapingReloadResult(rules, _queue.ShapingHash, [], $"{exception.GetType().Name}: {exception.Message}");
            }
            // Filed: the other silos follow even if this report is lost (the next period's goes out).
            await TryReportAsync(cancellationToken);
            return new ShapingReloadResult(rules, _queue.ShapingHash, [], null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The latest report of every silo the grain heard from; this silo's own as it stands now. Without an answer, this silo's only.</summary>
    public async Task<IReadOnlyDictionary<string, ShapingReport>> ReportsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<ShapingReport> reports;
        try
        {
            using var timeout = Timeout(cancellationToken);
            reports = await Grain.GetReportsAsync(timeout.Token);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is not OutOfMemoryException)
        {
            // This silo's own report stands alone until the grain answers again.
            _outage.Failed("reports", exception);
            reports = [];
        }
        var bySilo = reports.ToDictionary(r => r.Silo, StringComparer.Ordinal);
        bySilo[_silo] = Report();
        return bySilo;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, _time);
        do
        {
            await SyncAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One period's report; a reload request this silo has not acted on is acted on now (a restarted silo reloads once: harmless).</summary>
    private async Task SyncAsync(CancellationToken stoppingToken)
    {
        await _gate.WaitAsync(stoppingToken);
        try
        {
            using var timeout = Timeout(stoppingToken);
            var request = await Grain.ReportAsync(Report(), timeout.Token);
            if (request.Id != Guid.Empty && request.Id != _applied)
            {
                Follow(request);
                await Grain.ReportAsync(Report(), timeout.Token);
            }
            _outage.Answered();
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested && exception is not OutOfMemoryException)
        {
            _outage.Failed("exchange", exception);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Reloads for another silo's request: done when this copy gives the asked silo's hash; otherwise
    /// (the file differs or is invalid here) the request stays pending and is tried again next period.
    /// </summary>
    private void Follow(ShapingRequest request)
    {
        var (rules, errors) = ReloadHere();
        var error = errors.Count > 0 ? string.Join("; ", errors)
            : _queue.ShapingHash != request.Hash ? $"this silo's rules file gives hash {_queue.ShapingHash}, not {request.Hash} as on the silo that reloaded; read again every {Period.TotalSeconds:0} s"
            : null;
        if (error is null)
        {
            _applied = request.Id;
        }
        if (error != _error || request.Id != _pending)
        {
            ReloadedOnRequest(_logger, rules, _queue.ShapingHash, error ?? "none");
        }
        (_error, _pending) = (error, request.Id);
    }

    private async Task TryReportAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = Timeout(cancellationToken);
            await Grain.ReportAsync(Report(), timeout.Token);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is not OutOfMemoryException)
        {
            // The next period's report goes out anyway; an outage is logged once.
            _outage.Failed("report", exception);
        }
    }

    /// <summary>
    /// Re-reads every configuration source (the shaping file among them) and puts the rules in force;
    /// a missing or unreadable file, or invalid rules, leave the old ones in force.
    /// </summary>
    private (int Rules, IReadOnlyList<string> Errors) ReloadHere()
    {
        // A rules file that vanished would be read as empty (its source is optional on reload): refuse instead.
        foreach (var key in RulesFiles.Keys)
        {
            if (_configuration[key] is not { Length: > 0 } file)
            {
                continue;
            }
            if (!File.Exists(file))
            {
                return (0, [$"{key} '{file}' does not exist; the rules in force stay"]);
            }
            // The JSON provider keeps its old data when a reload cannot parse the file: say why here.
            try
            {
                using var _ = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file), new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (System.Text.Json.JsonException exception)
            {
                return (0, [$"{key} '{file}' is not valid JSON ({exception.Message}); the rules in force stay"]);
            }
        }
        try
        {
            (_configuration as IConfigurationRoot)?.Reload();
        }
        catch (AggregateException exception) when (exception.Flatten().InnerExceptions.All(e => e is OptionsValidationException))
        {
            // The rooms' options are validated again on reload (their monitors listen) and throw for a bad value.
            return (0, [.. exception.Flatten().InnerExceptions.SelectMany(e => ((OptionsValidationException)e).Failures)]);
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException or FormatException or UnauthorizedAccessException)
        {
            return (0, [$"the configuration could not be re-read ({exception.Message}); the rules in force stay"]);
        }
        return _queue.ReloadShaping(_configuration);
    }

    private ShapingReport Report() => new(_silo, _queue.ShapingHash, _applied, _error, _time.GetUtcNow());

    private Deadline Timeout(CancellationToken cancellationToken)
    {
        // An unanswered call counts as failed by then (Orleans' default would be 30 s).
        return new Deadline(_timings.ShapingCallTimeout, _time, cancellationToken);
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(2040, LogLevel.Information, "Shaping reloaded on a cluster request: {Rules} rule(s), hash {Hash}, errors: {Errors}")]
    private static partial void ReloadedOnRequest(ILogger logger, int rules, string hash, string errors);

    [LoggerMessage(2041, LogLevel.Warning, "The cluster's shaping grain does not answer ({Kind}: {Reason}); this silo keeps its rules and will follow reloads once it answers")]
    private static partial void GrainUnreachable(ILogger logger, string kind, string reason);

    [LoggerMessage(2042, LogLevel.Information, "The cluster's shaping grain answers again")]
    private static partial void GrainBack(ILogger logger);
}
