using System.Diagnostics.CodeAnalysis;
using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain actor's limits and its seats at their site: resolving the domain's shaping (after a
/// lookup of its primary MX when rules match by MX suffix), joining and leaving each (source,
/// site)'s <see cref="SiteLimiter"/> for the sources of every pool its mail uses (a
/// <see cref="PoolSeat"/> each, seated when its first job comes), telling each site what the
/// domain could use, and telling each source's site what happened on it. Touched only by the
/// actor's loop.
/// </summary>
internal sealed class SiteSeat(IDomainMailbox mailbox, DeliveryRuntime runtime)
{
    private const int LookupsBeforeOwnLimits = 3;
    private static readonly TimeSpan s_firstLookupRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_longestLookupRetry = TimeSpan.FromMinutes(5);

    private readonly Dictionary<EgressPool, PoolSeat> _pools = new(ReferenceEqualityComparer.Instance);
    private List<SourceSeat> _sources = [];
    private string? _primaryMx;

    public DomainShaping? Shaping { get; private set; }

    /// <summary>The sources' grants as last read, summed: what the actor's snapshot publishes.</summary>
    public SiteStanding Standing { get; private set; }

    /// <summary>A seat per source of every pool the domain's mail has used, each once.</summary>
    public IReadOnlyList<SourceSeat> Sources => _sources;

    /// <summary>The site's total across sources, when its rule caps it (<see cref="DomainShaping.SiteTotal"/>).</summary>
    public SiteLimiter? Total { get; private set; }

    /// <summary>The domain has its limits and sites to ask; until then nothing is allowed.</summary>
    [MemberNotNullWhen(true, nameof(Shaping))]
    public bool Seated => Shaping is not null && _sources.Count > 0;

    /// <summary>Resolves the domain's limits: at once (null), or by an MX lookup whose task posts <see cref="DomainCommand.ShapingResolved"/>.</summary>
    public Task? Resolve(CancellationToken stopping)
    {
        if (runtime.Shaping.HasMxRules)
        {
            return ResolveByMxAsync(stopping);
        }
        Take(runtime.Shaping.Resolve(mailbox.Domain, primaryMx: null), primaryMx: null);
        return null;
    }

    /// <summary>
    /// Takes seats under <paramref name="shaping"/> (or moves to it) for the default pool and every
    /// pool seated before; workers already open keep their old site's slot until they close.
    /// </summary>
    public void Take(DomainShaping shaping, string? primaryMx)
    {
        if (Seated && Shaping == shaping)
        {
            return;
        }
        var defaultPool = runtime.Egress.DefaultPool;
        List<EgressPool> pools = [defaultPool, .. _pools.Keys.Where(p => !ReferenceEquals(p, defaultPool))];
        Leave();
        (Shaping, _primaryMx) = (shaping, primaryMx);
        pools.ForEach(pool => For(pool));
        Total = shaping.SiteTotal is null ? null : Join(shaping.SiteTotalKey, primaryMx);
    }

    /// <summary>The pool's seats, joining the sites of its sources not seated yet; only while <see cref="Seated"/> (or being seated).</summary>
    public PoolSeat For(EgressPool pool)
    {
        if (!_pools.TryGetValue(pool, out var seat))
        {
            _pools[pool] = seat = new PoolSeat(pool, [.. pool.Members.Select(m => new PoolMemberSeat(SourceSeatOf(m.Source), m.Weight))]);
        }
        return seat;
    }

    public void Leave()
    {
        foreach (var limiter in _sources.Select(s => s.Limiter).Append(Total).OfType<SiteLimiter>())
        {
            runtime.Sites.Leave(limiter, mailbox.Domain);
        }
        (_sources, Total) = ([], null);
        _pools.Clear();
    }

    /// <summary>
    /// Reads where each source's site stands for the domain now; the sum is <see cref="Standing"/>:
    /// suspended when every source is, paused until the first source's pause (or warm-up cap) ends, no grant yet
    /// (null) while no source has one.
    /// </summary>
    public SiteStanding Read(DateTimeOffset now)
    {
        // Runs after every command the actor handles: plain loops, nothing allocated.
        var (granted, held, known, open, running) = (0, 0, false, false, false);
        var pausedUntil = DateTimeOffset.MaxValue;
        foreach (var seat in _sources)
        {
            var standing = seat.Standing = seat.Limiter.Standing(mailbox.Domain, now);
            (granted, held) = (granted + standing.Granted, held + standing.Held);
            known |= standing.Suspended is not null;
            if (standing.Suspended == false)
            {
                open = true;
                running |= now >= standing.HeldBackUntil;
                pausedUntil = standing.HeldBackUntil < pausedUntil ? standing.HeldBackUntil : pausedUntil;
            }
        }
        return Standing = new SiteStanding(known ? !open : null, open && !running ? pausedUntil : DateTimeOffset.MinValue, granted, held);
    }

    /// <summary>
    /// Tells each source's site what the domain could use on it (<see cref="SourceSeat.Wanted"/>,
    /// at most the site's limit), and the site's total their sum.
    /// </summary>
    public void Want()
    {
        var (total, messages) = (0, false);
        foreach (var seat in _sources)
        {
            var wanted = Math.Min(seat.Wanted, Shaping!.MaxConnections);
            seat.Limiter.Want(mailbox.Domain, wanted, seat.WantsMessages && wanted > 0);
            (total, messages) = (total + wanted, messages || seat.WantsMessages);
        }
        Total?.Want(mailbox.Domain, Math.Min(total, Shaping!.SiteTotal!.MaxConnections ?? total), messages);
    }

    /// <summary>An operator changed a suspension at the sites' grains: ask them again now.</summary>
    public void Refresh()
    {
        _sources.ForEach(s => s.Limiter.Refresh());
        Total?.Refresh();
    }

    private SiteLimiter Join(string key, string? primaryMx, SiteWarmUp? warmUp = null) =>
        runtime.Sites.Join(key, mailbox.Domain, primaryMx, () => mailbox.TryPost(new DomainCommand.Tick()), warmUp);

    private SourceSeat SourceSeatOf(EgressSource source)
    {
        if (SeatOf(source) is not { } seat)
        {
            // A warming source's caps depend on the site's provider group, known by the domain or its primary MX.
            var warmUp = source.WarmUp is { } schedule ? new SiteWarmUp(schedule, runtime.Responses.ProviderOf(mailbox.Domain, _primaryMx)) : null;
            seat = new SourceSeat(source, Join(source.LimitsKey(Shaping!.SiteKey), _primaryMx, warmUp));
            _sources.Add(seat);
        }
        return seat;
    }

    /// <summary>How a transaction went, for its source's site: a slow-down backs it off (or suspends it), a clean one helps its budget recover.</summary>
    public void Finished(JobResult result, EgressSource source)
    {
        if (result.Outcomes.FirstOrDefault(o => o.SlowDown) is { } signal)
        {
            BackOff(signal, source);
        }
        else if (result.Outcomes.All(o => o.Verdict == DeliveryVerdict.Delivered))
        {
            SeatOf(source)?.Limiter.Clean();
        }
    }

    /// <summary>Backs off (or suspends) the (source, site) as <paramref name="signal"/> asks: the pool's other sources carry its share meanwhile.</summary>
    public void BackOff(DeliveryOutcome signal, EgressSource source)
    {
        var effect = signal.Effect ?? SiteSlowDown.Backoff;
        var duration = effect.Duration ?? Shaping!.BackoffPeriod;
        SeatOf(source)?.Limiter.SlowedDown(runtime.Time.GetUtcNow(), effect, Shaping!.BackoffPeriod);
        runtime.Metrics.BackedOff(mailbox.Domain);
        if (effect.Rule is { } rule)
        {
            Log.RuleSlowedDown(runtime.Logger, mailbox.Domain, source.Name, effect.Suspend ? "suspended" : "backing off", duration, rule, signal.Reason);
        }
        else
        {
            Log.BackingOff(runtime.Logger, mailbox.Domain, source.Name, duration, signal.Reason);
        }
    }

    /// <summary>Another source than <paramref name="source"/> may still open connections.</summary>
    public bool OthersUsable(EgressSource source, DateTimeOffset now) => _sources.Exists(s => s.Source != source && s.Usable(now));

    private SourceSeat? SeatOf(EgressSource source)
    {
        foreach (var seat in _sources)
        {
            if (seat.Source == source)
            {
                return seat;
            }
        }
        return null;
    }

    /// <summary>
    /// Looks the primary MX up until DNS answers, since the site may be an MX rollup other silos
    /// already use (joining the domain's own site instead would add its budget to the rollup's).
    /// After a few failures the actor takes the domain's own limits, so its mail is attempted (and
    /// deferred, or expired, as DNS fails); the lookups go on, and the actor moves when the site is known.
    /// </summary>
    private async Task ResolveByMxAsync(CancellationToken stopping)
    {
        var wait = s_firstLookupRetry;
        for (var failures = 1; !stopping.IsCancellationRequested; failures++)
        {
            try
            {
                var mx = await runtime.Connector.PrimaryMxAsync(mailbox.Domain, stopping);
                await mailbox.PostAsync(new DomainCommand.ShapingResolved(runtime.Shaping.Resolve(mailbox.Domain, mx), mx));
                return;
            }
            catch (Exception exception) when (exception is not (OutOfMemoryException or OperationCanceledException))
            {
                Log.ActorFault(runtime.Logger, mailbox.Domain, exception);
                if (failures == LookupsBeforeOwnLimits)
                {
                    await mailbox.PostAsync(new DomainCommand.ShapingResolved(runtime.Shaping.Resolve(mailbox.Domain, primaryMx: null), null));
                }
            }
            try
            {
                await Task.Delay(wait, runtime.Time, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            wait = wait * 2 < s_longestLookupRetry ? wait * 2 : s_longestLookupRetry;
        }
    }
}
