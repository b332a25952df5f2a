using MailCluster.Cluster;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Outcomes;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Sites;

/// <summary>
/// This silo's side of one site's limits, behind one lock: the domains' <see cref="SiteDemand"/>,
/// the grain's <see cref="SiteGrantState"/>, the <see cref="SiteFeedback"/> for it and the
/// <see cref="SiteConnectionSlots"/> held. Its <see cref="SiteExchange"/> renews the grant once
/// per period while the site has demand or open connections, and at once when demand grows past
/// what the last report asked for (not merely past the grant: a silo given less than its share
/// under contention waits for its period), a slow-down happened, or a warming source spent its quota. With no answer, what was
/// granted holds until it expires; after that the site holds: no new connection, no new message.
/// </summary>
internal sealed class SiteLimiter : ISiteGrantHolder, IDisposable
{
    private readonly Lock _lock = new();
    private readonly ISiteAuthority _authority;
    private readonly TimeProvider _time;
    private readonly DeliveryMetrics _metrics;
    private readonly SiteDemand _demand = new();
    private readonly SiteGrantState _grant;
    private readonly SiteFeedback _feedback = new();
    private readonly SiteConnectionSlots _slots = new();
    private readonly SiteExchange _exchange;
    private readonly SiteWarmUp? _warmUp;
    private ITimer? _lapseTimer;
    private ITimer? _cutTimer;
    private int _reportedHeld;

    /// <param name="warmUp">The source's warm-up at this site, when it has one: each report names the day's caps.</param>
    public SiteLimiter(string site, ISiteAuthority authority, TimeProvider time, DeliveryMetrics metrics, ILogger logger, ClusterTimings timings, SiteWarmUp? warmUp = null)
    {
        Site = site;
        _warmUp = warmUp;
        _authority = authority;
        _time = time;
        _metrics = metrics;
        _grant = new SiteGrantState(time);
        _exchange = new SiteExchange(site, this, authority, time, metrics, logger, timings);
    }

    public string Site { get; }

    /// <summary>The exchange in flight, if any (shutdown waits for it).</summary>
    public Task Exchanging => _exchange.InFlight;

    public bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _demand.IsEmpty && _slots.Held == 0;
            }
        }
    }

    /// <summary>An actor of a domain in this site takes part; <paramref name="wake"/> tells it that a grant arrived.</summary>
    public void Register(string domain, string? primaryMx, Action wake)
    {
        lock (_lock)
        {
            _demand.Add(domain, primaryMx, wake);
        }
        _exchange.Soon();
    }

    public void Unregister(string domain)
    {
        lock (_lock)
        {
            _demand.Remove(domain);
        }
    }

    /// <summary>What a domain's actor could use now; a report follows at once when it is more than the last report asked for.</summary>
    public void Want(string domain, int connections, bool messages)
    {
        bool outgrown;
        lock (_lock)
        {
            outgrown = _demand.Update(domain, connections, messages, _grant.Connections);
        }
        if (outgrown)
        {
            _exchange.Soon();
        }
    }

    /// <summary>Where the site stands for <paramref name="domain"/> now, read once under the lock.</summary>
    public SiteStanding Standing(string domain, DateTimeOffset now)
    {
        lock (_lock)
        {
            var paused = _grant.PausedUntil > _feedback.PausedUntil ? _grant.PausedUntil : _feedback.PausedUntil;
            return new SiteStanding(_grant.Suspended(domain), paused, _grant.Connections, _slots.Held, _grant.CappedUntil);
        }
    }

    /// <summary>A connection slot of the site, if the grant has room and the new-connection share a token; the lease is released after the socket closed.</summary>
    public bool TryAcquireConnection(DateTimeOffset now, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SiteConnectionLease? lease, out TimeSpan? retryIn)
    {
        TimeSpan? wait = null;
        lock (_lock)
        {
            lease = _slots.TryTake(_grant.Connections, () => _grant.TryTakeNewConnection(now, out wait));
        }
        retryIn = wait;
        _metrics.SiteLease(granted: lease is not null);
        return lease is not null;
    }

    /// <summary>A message token of this silo's share; otherwise false and when one accrues (null: wait for the next grant).</summary>
    public bool TryTakeMessage(DateTimeOffset now, out TimeSpan? wait)
    {
        bool taken, quotaSpent;
        lock (_lock)
        {
            taken = _grant.TryTakeMessage(now, out wait, out quotaSpent);
        }
        if (quotaSpent)
        {
            // The caps had more than this quota: ask for the next one now, not at the next period.
            _exchange.Soon();
        }
        return taken;
    }

    /// <summary>
    /// A 421, a site refusing connections, or a response rule's backoff or suspension: pause here at
    /// once, and tell the grain (which pauses the site for every silo and scales its budget once per
    /// burst); <paramref name="backoff"/> is the site's period, for an effect that names no duration.
    /// </summary>
    public void SlowedDown(DateTimeOffset now, SiteSlowDown effect, TimeSpan backoff)
    {
        lock (_lock)
        {
            _feedback.Slow(now, effect, effect.Duration ?? backoff);
        }
        _exchange.Soon();
    }

    /// <summary>A transaction in which every recipient was delivered (the grain recovers the budget from these).</summary>
    public void Clean()
    {
        lock (_lock)
        {
            _feedback.Clean();
        }
    }

    /// <summary>Asks the grain again soon (an operator changed the site's suspension).</summary>
    public void Refresh() => _exchange.Soon();

    public void Dispose()
    {
        _exchange.Dispose();
        _lapseTimer?.Dispose();
        _cutTimer?.Dispose();
        _slots.Dispose();
    }

    bool ISiteGrantHolder.RenewalDue
    {
        get
        {
            lock (_lock)
            {
                // Renew while connections are open or mail waits; and keep asking while actors wait for a
                // first grant. Once more after the last connection closed: the grain then knows this
                // silo holds none (one that goes quiet holding some may be talking to another activation).
                return _slots.Held > 0 || _reportedHeld > 0 || (_grant.LeaseLeft is null && !_demand.IsEmpty) || _demand.Active;
            }
        }
    }

    SiteReport ISiteGrantHolder.Report(DateTimeOffset now)
    {
        lock (_lock)
        {
            var (domain, primaryMx) = _demand.Representative;
            var (messages, newConnections, quota) = _grant.GiveBack(now);
            var held = _reportedHeld = _slots.Held;
            var report = new SiteReport(
                _authority.SiloName, domain ?? Site, primaryMx, _grant.Epoch, held, Math.Max(held, _demand.Connections), _demand.Messages,
                messages, newConnections, _feedback.CleanTransactions, _feedback.SlowedDown, _grant.Sequence, _feedback.SlowDown, _warmUp?.CapOn(now), quota);
            _demand.Asked(report.WantedConnections, report.WantsMessages);
            return report;
        }
    }

    void ISiteGrantHolder.Granted(SiteReport report, SiteGrant grant, DateTimeOffset sentAt, long sentStamp)
    {
        lock (_lock)
        {
            _grant.Apply(grant, sentAt, sentStamp);
            _feedback.Counted(report.CleanTransactions, report.SlowDown);
            ArmLapse(_grant.LeaseLeft!.Value);
        }
    }

    private void ArmLapse(TimeSpan left) => Arm(ref _lapseTimer, left, Lapse);

    private void ArmCut(TimeSpan left) => Arm(ref _cutTimer, left, Cut);

    private void Arm(ref ITimer? timer, TimeSpan left, Action fire)
    {
        timer?.Dispose();
        timer = _time.CreateTimer(_ => fire(), null, left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    void ISiteGrantHolder.ExchangeEnded()
    {
        List<Action> wakes;
        lock (_lock)
        {
            wakes = _demand.Wakes();
        }
        wakes.ForEach(w => w());
    }

    /// <summary>
    /// The lease ran out without a renewal (the grain did not answer): no new transaction starts,
    /// and the actors are woken so that idle connections say QUIT; a transaction in flight finishes
    /// (cutting it after the final dot would deliver its mail twice, RFC 5321 6.1) within the
    /// grant's grace, the time the grain keeps counting this silo's connections.
    /// </summary>
    private void Lapse()
    {
        List<Action> wakes;
        lock (_lock)
        {
            if (_grant.LeaseLeft is not { } left)
            {
                return;
            }
            if (left > TimeSpan.Zero)
            {
                // Renewed meanwhile, or fired early: wait for the rest.
                ArmLapse(left);
                return;
            }
            if (_slots.Held == 0)
            {
                return;
            }
            wakes = _demand.Wakes();
            ArmCut(_grant.CutLeft!.Value);
        }
        _metrics.SiteLeasesLapsed();
        wakes.ForEach(w => w());
    }

    /// <summary>
    /// Still unrenewed when the grace ran out: the grain now gives this silo's room to others, so
    /// whatever is still open is cut at once (its recipients are deferred, never lost).
    /// </summary>
    private void Cut()
    {
        int cut;
        lock (_lock)
        {
            if (_grant.LeaseLeft > TimeSpan.Zero || _grant.CutLeft is not { } left)
            {
                return;
            }
            if (left > TimeSpan.Zero)
            {
                ArmCut(left);
                return;
            }
            cut = _slots.Held;
        }
        if (cut > 0)
        {
            _metrics.SiteConnectionsCut(cut);
            _slots.CutAll();
        }
    }
}
