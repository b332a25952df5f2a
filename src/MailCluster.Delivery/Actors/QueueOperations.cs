using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Shaping;
using MailCluster.Delivery.Sites;
using MailCluster.Spool;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Actors;

/// <summary>A domain's queue and actor state, for the admin API.</summary>
/// <param name="InTier">Entries of the domain in the retry tier (cluster mode, approximate); null without a tier or when its index cannot be read.</param>
public sealed record DomainStatus(
    string Domain, long Due, long Deferred, long InFlight, DateTimeOffset? OldestArrival, int Connections, bool BackingOff, bool Suspended, long? InTier = null,
    IReadOnlyList<SourceStatus>? Sources = null);

/// <summary>One egress source's part of a domain's delivery, as its (source, site) grain sees it cluster-wide; <paramref name="PausedBy"/> names the response rule behind a backoff or suspension.</summary>
public sealed record SourceStatus(string Source, int Connections, bool BackingOff, bool Suspended, string? PausedBy = null, TimeSpan PausedFor = default);

/// <summary>A warming source's day number and start, and per site it sent to today, the caps in force there and what was counted today and this hour (UTC), cluster-wide.</summary>
public sealed record SourceWarmUpStatus(int Day, DateOnly Start, IReadOnlyList<SiteWarmUpStatus> Sites);

/// <summary>A warming source at one site: today's caps (null: none reported yet, or warm there) and the counts of its (source, site) grain.</summary>
public sealed record SiteWarmUpStatus(string Site, int? PerDay, int? PerHour, int Today, int ThisHour);

/// <summary>An egress source of this silo: its address (bound, or the proxy's external one), proxy, EHLO name, and the pools it is in with its weight.</summary>
public sealed record SourceInfo(string Name, string? Address, string? Socks5, string EhloName, IReadOnlyList<(string Pool, int Weight)> Pools);

/// <summary>
/// What an operator can do to the queue without a restart: look, suspend and resume a domain,
/// retry now, bounce (with the DSN RFC 3464 calls for) or delete recipients.
/// </summary>
public sealed class QueueOperations
{
    private readonly ISpoolOperations _operations;
    private readonly IDeliveryQueue _queue;
    private readonly DomainActorDirectory _directory;
    private readonly ShapingRules _shaping;
    private readonly IMxConnector _connector;
    private readonly ISiteAuthority _sites;
    private readonly ISourceAuthority _sources;
    private readonly Responses.ResponseRules _responses;
    private readonly EgressPlan _egress;
    private readonly AttemptRecorder _recorder;
    private readonly DeliveryTrigger _trigger;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LocalOperatorActions _actions;

    internal QueueOperations(
        ISpoolOperations operations, IDeliveryQueue queue, DomainActorDirectory directory, ShapingRules shaping, IMxConnector connector, ISiteAuthority sites, ISourceAuthority sources, EgressPlan egress,
        Responses.ResponseRules responses, AttemptRecorder recorder, DeliveryTrigger trigger, TimeProvider time, ILogger logger, Tier.TierOperations? tier = null)
    {
        _logger = logger;
        Tier = tier;
        _operations = operations;
        _queue = queue;
        _directory = directory;
        _shaping = shaping;
        _connector = connector;
        _sites = sites;
        _sources = sources;
        _responses = responses;
        _egress = egress;
        _recorder = recorder;
        _trigger = trigger;
        _time = time;
        _actions = new LocalOperatorActions(operations, queue, recorder);
    }

    /// <summary>The retry tier's operations in cluster mode; null on a single silo.</summary>
    public Tier.TierOperations? Tier { get; }

    /// <summary>
    /// Every domain with mail queued on this silo or in the retry tier, and every domain active here:
    /// this silo's queue and the tier's count, with connections, backoff and suspension as the
    /// domain's site grain sees them cluster-wide.
    /// </summary>
    public async Task<IReadOnlyList<DomainStatus>> DomainsAsync(CancellationToken cancellationToken)
    {
        var summaries = (await _operations.GetDomainSummariesAsync(_time.GetUtcNow(), cancellationToken)).ToDictionary(s => s.Domain, StringComparer.OrdinalIgnoreCase);
        var tier = Tier is null ? null : await Tier.CountsAsync(cancellationToken);
        var domains = summaries.Keys.Union(_directory.Active.Select(a => a.Domain), StringComparer.OrdinalIgnoreCase)
            .Union(tier?.Keys ?? [], StringComparer.OrdinalIgnoreCase).ToList();
        var statuses = await Task.WhenAll(domains.Select(d => StatusAsync(d, summaries.GetValueOrDefault(d), cancellationToken)));
        return [.. statuses.Select(s => tier is null ? s : s with { InTier = tier.GetValueOrDefault(s.Domain) })];
    }

    /// <summary>One domain's status, or null when it has nothing queued here and its site knows nothing of it.</summary>
    public async Task<DomainStatus?> DomainAsync(string domain, CancellationToken cancellationToken)
    {
        if ((await DomainsAsync(cancellationToken)).FirstOrDefault(s => s.Domain.Equals(domain, StringComparison.OrdinalIgnoreCase)) is { } listed)
        {
            return listed;
        }
        var status = await StatusAsync(domain, null, cancellationToken);
        if (Tier is not null && await Tier.CountsAsync(cancellationToken) is { } tier)
        {
            status = status with { InTier = tier.GetValueOrDefault(domain) };
        }
        return status.Suspended || status.Connections > 0 || status.BackingOff ? status : null;
    }

    /// <summary>This silo's egress sources (the implicit one alone without an <c>Egress</c> section).</summary>
    public IReadOnlyList<SourceInfo> Sources() =>
    [
        .. _egress.Sources.Select(s => new SourceInfo(
            s.Name, s.Address?.ToString(), s.Socks5 is { } proxy ? $"{proxy.Host}:{proxy.Port}" : null, s.EhloName,
            [.. _egress.Pools.SelectMany(p => p.Members.Where(m => m.Source == s).Select(m => (p.Name, m.Weight)))])),
    ];

    /// <summary>Per source, what it did across the cluster in the last minute, the domains suspended on it, and its warm-up if it has one.</summary>
    public async Task<IReadOnlyDictionary<string, (SourceActivityView Activity, SourceWarmUpStatus? WarmUp)>> SourceActivityAsync()
    {
        var views = await Task.WhenAll(_egress.Sources.Select(s => _sources.ViewAsync(s.Name)));
        var warmUps = await Task.WhenAll(_egress.Sources.Zip(views, WarmUpAsync));
        return _egress.Sources.Select((s, i) => (s.Name, views[i], warmUps[i])).ToDictionary(p => p.Name, p => (p.Item2, p.Item3), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>A warming source's counts at each site it sent to today, from its (source, site) grains.</summary>
    private async Task<SourceWarmUpStatus?> WarmUpAsync(EgressSource source, SourceActivityView activity)
    {
        if (source.WarmUp is not { } schedule)
        {
            return null;
        }
        var sites = activity.SitesToday ?? [];
        var views = await Task.WhenAll(sites.Select(site => _sites.ViewAsync(source.LimitsKey(site))));
        return new SourceWarmUpStatus(
            schedule.DayOn(_time.GetUtcNow()),
            schedule.Start,
            [.. sites.Zip(views, (site, v) => new SiteWarmUpStatus(site, v.WarmUpCap?.PerDay, v.WarmUpCap?.PerHour, v.WarmUpToday, v.WarmUpThisHour))]);
    }

    /// <summary>
    /// Suspends the domain at its site's grain for every source, or for <paramref name="source"/>
    /// only (its mail then goes through the pool's other sources): every silo follows within one
    /// exchange period. False when it already was. Each source's grain records it, for <c>mailctl sources</c>.
    /// </summary>
    public async Task<bool> SuspendAsync(string domain, CancellationToken cancellationToken, string? source = null)
    {
        var site = await SiteOfAsync(domain, cancellationToken);
        var changed = (await Task.WhenAll(Selected(source).Select(s => _sites.SuspendAsync(s.LimitsKey(site), domain.ToLowerInvariant())))).Any(c => c);
        await Task.WhenAll(Selected(source).Select(s => _sources.SuspendedAsync(s.Name, domain, suspended: true)));
        _directory.SuspensionChanged(domain);
        if (changed)
        {
            Log.Suspended(_logger, domain);
        }
        return changed;
    }

    public async Task<bool> ResumeAsync(string domain, CancellationToken cancellationToken, string? source = null)
    {
        var site = await SiteOfAsync(domain, cancellationToken);
        var changed = (await Task.WhenAll(Selected(source).Select(s => _sites.ResumeAsync(s.LimitsKey(site), domain.ToLowerInvariant())))).Any(c => c);
        await Task.WhenAll(Selected(source).Select(s => _sources.SuspendedAsync(s.Name, domain, suspended: false)));
        _directory.SuspensionChanged(domain);
        _trigger.Notify();
        if (changed)
        {
            Log.Resumed(_logger, domain);
        }
        return changed;
    }

    /// <summary>
    /// Puts reloaded shaping and response rules (sections <c>Shaping</c> and <c>ResponseRules</c> of <paramref name="configuration"/>) in force and
    /// has every active domain resolve its limits again; returns the rule count, or the errors when the
    /// rules are invalid (the rules in force then stay).
    /// </summary>
    public (int Rules, IReadOnlyList<string> Errors) ReloadShaping(IConfiguration configuration)
    {
        var shaping = configuration.GetSection("Shaping").Get<ShapingOptions>() ?? new ShapingOptions();
        var errors = shaping.Validate().Concat(configuration.GetSection(Responses.ResponseRulesOptions.Section).Get<Responses.ResponseRulesOptions>()?.Validate() ?? []).ToList();
        if (errors.Count > 0)
        {
            return (0, errors);
        }
        _shaping.Replace(shaping);
        var (responseRules, _) = _responses.Reload(configuration);
        _directory.Reshape();
        return (shaping.Rules.Count + responseRules, []);
    }

    /// <summary>A short hash of this silo's shaping and response rules in force (compare silos with <c>mailctl silos</c>).</summary>
    public string ShapingHash => _responses.Count == 0 ? _shaping.Hash : $"{_shaping.Hash}-{_responses.Hash}";

    /// <summary>Makes the selected recipients due now and wakes the scheduler; returns how many.</summary>
    public async Task<int> RetryNowAsync(RecipientSelector selector, CancellationToken cancellationToken)
    {
        var count = await _operations.RescheduleAsync(selector, _time.GetUtcNow(), cancellationToken);
        _trigger.Notify();
        return count;
    }

    /// <summary>Fails the selected recipients permanently; their senders get a DSN (RFC 3464) unless NOTIFY said otherwise.</summary>
    public async Task<int> BounceAsync(RecipientSelector selector, CancellationToken cancellationToken)
    {
        var count = await _actions.BounceAsync(selector, cancellationToken);
        await TombstoneAsync(selector, bounce: true, cancellationToken);
        return count;
    }

    /// <summary>Removes the selected recipients silently (no DSN): for spam runs and test mail.</summary>
    public async Task<int> DeleteAsync(RecipientSelector selector, CancellationToken cancellationToken)
    {
        var count = await _actions.DeleteAsync(selector, cancellationToken);
        await TombstoneAsync(selector, bounce: false, cancellationToken);
        return count;
    }

    /// <summary>In cluster mode the same goes for the retry tier's entries and every other silo's spool.</summary>
    private Task TombstoneAsync(RecipientSelector selector, bool bounce, CancellationToken cancellationToken) =>
        Tier?.TombstoneAsync(selector, bounce, cancellationToken) ?? Task.CompletedTask;

    private async Task<DomainStatus> StatusAsync(string domain, DomainQueueSummary? summary, CancellationToken cancellationToken)
    {
        var site = await SiteOfAsync(domain, cancellationToken);
        var views = await Task.WhenAll(_egress.Sources.Select(s => _sites.ViewAsync(s.LimitsKey(site))));
        var sources = _egress.Sources.Zip(views, (s, v) => new SourceStatus(s.Name, v.ConnectionsHeld, v.PausedFor > TimeSpan.Zero, Suspended(v, domain), v.PausedBy, v.PausedFor)).ToList();
        return new DomainStatus(
            domain,
            summary?.Due ?? 0,
            summary?.Deferred ?? 0,
            summary?.InFlight ?? 0,
            summary?.OldestArrival,
            views.Sum(v => v.ConnectionsHeld),
            views.Any(v => v.PausedFor > TimeSpan.Zero),
            sources.TrueForAll(s => s.Suspended),
            Sources: sources);
    }

    private static bool Suspended(SiteView view, string domain) => view.SiteSuspended || view.SuspendedDomains.Contains(domain, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every source, or the one named (an unknown name is the caller's to refuse: <see cref="Sources"/>).</summary>
    private IEnumerable<EgressSource> Selected(string? source) =>
        source is null ? _egress.Sources : _egress.Sources.Where(s => s.Name.Equals(source, StringComparison.OrdinalIgnoreCase));

    /// <summary>The domain's shaping site: the domain itself, or the MX-suffix rule its primary MX falls under.</summary>
    private async Task<string> SiteOfAsync(string domain, CancellationToken cancellationToken) =>
        _shaping.Resolve(domain, _shaping.HasMxRules ? await _connector.PrimaryMxAsync(domain, cancellationToken) : null).SiteKey;
}
