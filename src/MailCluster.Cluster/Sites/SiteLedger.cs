using MailCluster.Cluster.Shaping;

namespace MailCluster.Cluster.Sites;

/// <summary>
/// The rules of one site's grain, on a clock the caller passes in: connection leases split fairly
/// between silos with demand, shares of the message and new-connection rates, one adaptive backoff
/// for the whole site, and operator suspension. Exactness across a grain move: leases carry the
/// activation's epoch, and an activation that finds an earlier one's leases may still be out
/// (<see cref="SiteState.LeasesEndBy"/>) renews what silos hold and grants nothing new (no rate
/// either) until that horizon: the earlier activation may grant until it next writes. A warming
/// source's quotas come from its <see cref="WarmUpAllowance"/>.
/// </summary>
internal sealed class SiteLedger
{
    /// <summary>Transactions without a slow-down signal, over all silos, before the budget grows by one connection again.</summary>
    public const int RecoveryStep = 10;

    private readonly Dictionary<string, SiloLease> _leases = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _renewOnlyUntil;
    private readonly WarmUpAllowance _warmUp;
    private SharedRate? _messages;
    private SharedRate? _newConnections;
    private ThrottleSpec? _messageSpec;
    private ThrottleSpec? _connectionSpec;
    private int _cleanSinceStep;
    private long _lastSequence;
    private bool _deserterSinceWrite;

    public SiteLedger(Guid epoch, SiteState state, DateTimeOffset now, ClusterTimings timings)
    {
        LeasePeriod = timings.SiteLeasePeriod;
        LapseGrace = timings.SiteLapseGrace;
        RateSlice = timings.SiteRateSlice;
        Epoch = epoch;
        State = state;
        _warmUp = new WarmUpAllowance(state);
        // An earlier activation may still be alive and granting until it next writes (and finds this
        // one's fencing write): its grants end by the stored horizon, so this one renews only until then.
        _renewOnlyUntil = state.LeasesEndBy > now ? state.LeasesEndBy : now;
    }

    public Guid Epoch { get; }

    /// <summary>How long a connection lease lasts without renewal (<see cref="ClusterTimings.SiteLeasePeriod"/>).</summary>
    public TimeSpan LeasePeriod { get; }

    /// <summary>How long a silo whose lease lapsed may still finish transactions in flight (<see cref="ClusterTimings.SiteLapseGrace"/>).</summary>
    public TimeSpan LapseGrace { get; }

    /// <summary>How long a rate share lasts without renewal (<see cref="ClusterTimings.SiteRateSlice"/>).</summary>
    public TimeSpan RateSlice { get; }

    /// <summary>What the grain persists; <see cref="StateChanged"/> says when it must be written before a grant goes out.</summary>
    public SiteState State { get; }

    public bool StateChanged { get; private set; }

    /// <summary>Connections granted and not expired, summed over silos (at most the site's cap).</summary>
    public int ConnectionsLeased(DateTimeOffset now) => _leases.Values.Sum(l => l.Outstanding(now));

    /// <summary>Connections silos said they have open, summed over silos still reporting (what operators see as in use).</summary>
    public int ConnectionsHeld(DateTimeOffset now) => _leases.Values.Sum(l => l.Held(now));

    public double MessageTokensHandedOut => _messages?.TokensHandedOut ?? 0;

    /// <summary>The site for operators, from the grain hosted on <paramref name="hostingSilo"/>.</summary>
    public SiteView View(string hostingSilo, DateTimeOffset now) => new(
        hostingSilo,
        Epoch,
        ConnectionsLeased(now),
        ConnectionsHeld(now),
        State.Cap,
        now < State.PausedUntil ? State.PausedUntil - now : TimeSpan.Zero,
        State.SiteSuspended,
        [.. State.SuspendedDomains],
        PausedBy: now < State.PausedUntil ? State.PausedBy : null,
        WarmUpToday: State.WarmUpHour.Date == now.UtcDateTime.Date ? State.WarmUpToday : 0,
        WarmUpThisHour: now - State.WarmUpHour < TimeSpan.FromHours(1) ? State.WarmUpThisHour : 0,
        WarmUpCap: _warmUp.LastCap);

    /// <summary>The written state is in storage now (and no other activation had written since this one).</summary>
    public void StateWritten() => (StateChanged, _deserterSinceWrite) = (false, false);

    /// <summary>One silo's exchange: applies its report, then decides its grant under <paramref name="limits"/>.</summary>
    public SiteGrant Exchange(SiteReport report, DomainShaping limits, DateTimeOffset now)
    {
        ExtendHorizon(now);
        ApplyBackoffReports(report, limits, now);
        var sequence = ++_lastSequence;
        // A silo that works under one of this activation's grants no longer uses the ones it replaced.
        var acknowledged = report.HeldEpoch == Epoch ? report.HeldGrant : 0;
        var paused = now < State.PausedUntil;
        var cap = Math.Min(State.Cap ?? limits.MaxConnections, limits.MaxConnections);
        var connections = GrantConnections(report, paused ? 0 : cap, sequence, acknowledged, now);
        var mayRate = !paused && now >= _renewOnlyUntil;
        var messages = Rate(ref _messages, ref _messageSpec, limits.MessageRate, now)
            ?.Exchange(report.Silo, report.WantsMessages, report.UnspentMessages, mayRate, now, RateSlice, sequence, acknowledged);
        var newConnections = Rate(ref _newConnections, ref _connectionSpec, limits.ConnectionRate, now)
            ?.Exchange(report.Silo, report.WantedConnections > report.HeldConnections, report.UnspentConnections, mayRate, now, RateSlice, sequence, acknowledged);
        var warmUp = _warmUp.Exchange(report.Silo, report.WarmUp, report.WantsMessages, report.UnspentQuota, !paused, now, RateSlice, out var counted);
        StateChanged |= counted;
        return new SiteGrant(
            Epoch,
            connections,
            LeasePeriod,
            messages,
            newConnections,
            RateSlice,
            paused ? State.PausedUntil - now : TimeSpan.Zero,
            State.SiteSuspended,
            [.. State.SuspendedDomains],
            sequence,
            LapseGrace,
            warmUp);
    }

    /// <summary>Suspends a domain of the site, or the whole site when <paramref name="domain"/> is null; false when it already was.</summary>
    public bool Suspend(string? domain)
    {
        var changed = domain is null ? !State.SiteSuspended : !State.SuspendedDomains.Contains(domain, StringComparer.OrdinalIgnoreCase);
        if (domain is null)
        {
            State.SiteSuspended = true;
        }
        else if (changed)
        {
            State.SuspendedDomains.Add(domain.ToLowerInvariant());
        }
        StateChanged |= changed;
        return changed;
    }

    /// <summary>Resumes a domain, or the whole site when <paramref name="domain"/> is null; false when it was not suspended.</summary>
    public bool Resume(string? domain)
    {
        var changed = domain is null ? State.SiteSuspended : State.SuspendedDomains.RemoveAll(d => d.Equals(domain, StringComparison.OrdinalIgnoreCase)) > 0;
        if (domain is null)
        {
            State.SiteSuspended = false;
        }
        StateChanged |= changed;
        return changed;
    }

    /// <summary>
    /// Before a lease (and the grace in which its transactions may finish) can outlive the stored
    /// horizon, the horizon moves (three periods ahead, so it is written rarely).
    /// </summary>
    private void ExtendHorizon(DateTimeOffset now)
    {
        if (now + LeasePeriod + LapseGrace > State.LeasesEndBy)
        {
            State.LeasesEndBy = now + (3 * LeasePeriod) + LapseGrace;
            StateChanged = true;
        }
    }

    /// <summary>
    /// One pause and one scaling per slow-down event: reports arriving while the site is already
    /// paused belong to the burst that paused it, though a response rule's that pauses longer (a
    /// suspension after a backoff) extends the pause. A backoff scales the connection budget by its factor (a 421: half); a suspension
    /// keeps it. Clean transactions give one connection back per <see cref="RecoveryStep"/>,
    /// counted over all silos.
    /// </summary>
    private void ApplyBackoffReports(SiteReport report, DomainShaping limits, DateTimeOffset now)
    {
        var slowDown = report.SlowedDown ? report.SlowDown ?? SiteSlowDown.Backoff : null;
        var until = now + (slowDown?.Duration ?? limits.BackoffPeriod);
        if (now < State.PausedUntil)
        {
            if (slowDown is { Rule: not null } && until > State.PausedUntil)
            {
                (State.PausedUntil, State.PausedBy) = (until, slowDown.Rule);
                StateChanged = true;
            }
            return;
        }
        if (slowDown is not null)
        {
            (State.PausedUntil, State.PausedBy) = (until, slowDown.Rule);
            if (slowDown.Factor < 1)
            {
                State.Cap = Math.Max(1, (int)(Math.Min(State.Cap ?? limits.MaxConnections, limits.MaxConnections) * slowDown.Factor));
            }
            _cleanSinceStep = 0;
            StateChanged = true;
            return;
        }
        _cleanSinceStep += report.CleanTransactions;
        while (State.Cap is { } cap && _cleanSinceStep >= RecoveryStep)
        {
            _cleanSinceStep -= RecoveryStep;
            State.Cap = cap + 1 >= limits.MaxConnections ? null : cap + 1;
            StateChanged = true;
        }
    }

    private int GrantConnections(SiteReport report, int budget, long sequence, long acknowledged, DateTimeOffset now)
    {
        // A silo that stopped reporting while granted connections may be talking to another
        // activation of this grain (it moved, and this one has not learnt it yet at its next write).
        foreach (var account in _leases.Values)
        {
            // Every lease is looked at (no short circuit): each marks itself deserted once.
            _deserterSinceWrite |= account.DesertedHolding(now);
        }
        foreach (var gone in _leases.Where(l => l.Value.Gone(now)).Select(l => l.Key).ToList())
        {
            _leases.Remove(gone);
        }
        if (!_leases.TryGetValue(report.Silo, out var lease))
        {
            lease = new SiloLease(LeasePeriod, LapseGrace);
            _leases[report.Silo] = lease;
        }
        lease.Report(report.HeldConnections, report.WantedConnections, acknowledged, now);
        var others = _leases.Where(l => l.Key != report.Silo).Sum(l => l.Value.Outstanding(now));
        var room = Math.Max(0, budget - others);
        // Until an earlier activation's leases have run out, every silo renews only what it holds.
        var grant = now < _renewOnlyUntil
            ? Math.Min(report.HeldConnections, room)
            : Math.Min(FairShare.Of(report.Silo, budget, _leases.Where(l => l.Value.Wanting(now)).Select(l => (l.Key, l.Value.Wanted))), room);
        // Room such a silo left is handed out only after a write: a stale activation then fails on
        // the fence and is deactivated before it gives away room the new one renewed to that silo.
        StateChanged |= _deserterSinceWrite && grant > lease.Granted(now);
        lease.Grant(grant, sequence, now, now + LeasePeriod);
        return grant;
    }

    /// <summary>The shared rate for a spec; a changed spec (a reload) starts a new bucket.</summary>
    private static SharedRate? Rate(ref SharedRate? rate, ref ThrottleSpec? current, ThrottleSpec? spec, DateTimeOffset now)
    {
        if (spec is null)
        {
            (rate, current) = (null, null);
        }
        else if (rate is null || current != spec)
        {
            (rate, current) = (new SharedRate(spec.Value, now), spec);
        }
        return rate;
    }
}
