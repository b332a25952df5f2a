using MailCluster.Cluster.Sites;
using MailCluster.Cluster;
using MailCluster.Delivery.Outcomes;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Sites;

/// <summary>
/// This silo's side of one site's limits: the grant of the site's grain (connection leases, rate
/// shares, backoff, suspension), and the exchange that renews it — one call per period while the
/// site has demand or open connections, and at once when demand grows past what the last report
/// asked for (not merely past the grant: a silo given less than its share under contention waits
/// for its period) or a slow-down happened. Every duration of a grant counts from when its report was sent, on this silo's clock,
/// so a lease here ends before the grain's. With no answer, what was granted holds until it
/// expires; after that the site holds: no new connection, no new message.
/// </summary>
internal sealed partial class SiteLimiter : IDisposable
{
    private readonly TimeSpan _callTimeout;
    private readonly Lock _lock = new();
    private readonly string _site;
    private readonly ISiteAuthority _authority;
    private readonly TimeProvider _time;
    private readonly DeliveryMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Demand> _domains = new(StringComparer.OrdinalIgnoreCase);
    private readonly ITimer _timer;
    private SiteGrant? _grant;
    private DateTimeOffset _grantFrom;
    private RateShareBucket? _messages;
    private RateShareBucket? _newConnections;
    private int _held;
    private int _clean;
    private bool _slowedDown;
    private DateTimeOffset _localPauseUntil = DateTimeOffset.MinValue;
    private bool _exchanging;
    private bool _followUp;
    private int _askedConnections;
    private bool _askedMessages;
    private Task _exchange = Task.CompletedTask;
    private CancellationTokenSource _lapse = new();
    private ITimer? _lapseTimer;

    public SiteLimiter(string site, ISiteAuthority authority, TimeProvider time, DeliveryMetrics metrics, ILogger logger, ClusterTimings timings)
    {
        _site = site;
        _authority = authority;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _callTimeout = timings.SiteCallTimeout;
        _timer = time.CreateTimer(_ => Renew(), null, timings.SiteExchangePeriod, timings.SiteExchangePeriod);
    }

    public string Site => _site;

    /// <summary>The exchange in flight, if any (shutdown waits for it).</summary>
    public Task Exchanging => _exchange;

    /// <summary>An actor of a domain in this site takes part; <paramref name="wake"/> tells it that a grant arrived.</summary>
    public void Register(string domain, string? primaryMx, Action wake)
    {
        lock (_lock)
        {
            // An actor starts because the spool has mail due for its domain: it wants a connection and messages.
            _domains[domain] = new Demand(primaryMx, wake, 1, true);
        }
        ExchangeSoon();
    }

    public void Unregister(string domain)
    {
        lock (_lock)
        {
            _domains.Remove(domain);
        }
    }

    public bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _domains.Count == 0 && _held == 0;
            }
        }
    }

    /// <summary>What a domain's actor could use now; a report follows at once when it is more than the last report asked for.</summary>
    public void Want(string domain, int connections, bool messages)
    {
        bool outgrown;
        lock (_lock)
        {
            if (!_domains.TryGetValue(domain, out var demand) || (demand.Connections == connections && demand.Messages == messages))
            {
                return;
            }
            _domains[domain] = demand with { Connections = connections, Messages = messages };
            var wanted = _domains.Values.Sum(d => d.Connections);
            outgrown = (wanted > _askedConnections && wanted > GrantedLocked(_time.GetUtcNow())) || (messages && !_askedMessages);
        }
        if (outgrown)
        {
            ExchangeSoon();
        }
    }

    /// <summary>Where the site stands for <paramref name="domain"/> now, read once under the lock.</summary>
    public SiteStanding Standing(string domain, DateTimeOffset now)
    {
        lock (_lock)
        {
            var granted = _grant is { PausedFor: var p } && p > TimeSpan.Zero ? _grantFrom + p : DateTimeOffset.MinValue;
            return new SiteStanding(
                _grant is null ? null : _grant.SiteSuspended || _grant.SuspendedDomains.Contains(domain, StringComparer.OrdinalIgnoreCase),
                granted > _localPauseUntil ? granted : _localPauseUntil,
                GrantedLocked(now),
                _held);
        }
    }

    /// <summary>A connection slot of the site, if the grant has room and the new-connection share a token; the lease is released after the socket closed.</summary>
    public bool TryAcquireConnection(DateTimeOffset now, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SiteConnectionLease? lease, out TimeSpan? retryIn)
    {
        lease = null;
        retryIn = null;
        lock (_lock)
        {
            if (_held >= GrantedLocked(now)
                || (_grant!.NewConnections is not null && (_newConnections is null || !_newConnections.TryTake(now, out retryIn))))
            {
                _metrics.SiteLease(granted: false);
                return false;
            }
            _held++;
            lease = new SiteConnectionLease(this, _lapse.Token);
        }
        _metrics.SiteLease(granted: true);
        return true;
    }

    /// <summary>A message token of this silo's share; otherwise false and when one accrues (null: wait for the next grant).</summary>
    public bool TryTakeMessage(DateTimeOffset now, out TimeSpan? wait)
    {
        lock (_lock)
        {
            wait = null;
            if (_grant is null)
            {
                return false;
            }
            if (_grant.Messages is null)
            {
                return true;
            }
            return _messages is not null && _messages.TryTake(now, out wait);
        }
    }

    /// <summary>A 421, 4.7.x or site refusing connections: pause here at once, and tell the grain (which halves the site's budget once per burst).</summary>
    public void SlowedDown(DateTimeOffset now, TimeSpan backoff)
    {
        lock (_lock)
        {
            _slowedDown = true;
            _localPauseUntil = now + backoff;
        }
        ExchangeSoon();
    }

    /// <summary>A transaction in which every recipient was delivered (the grain recovers the budget from these).</summary>
    public void Clean()
    {
        lock (_lock)
        {
            _clean++;
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _lapseTimer?.Dispose();
        _lapse.Dispose();
    }

    private void Release()
    {
        lock (_lock)
        {
            _held--;
        }
    }

    /// <summary>
    /// The lease ran out without a renewal (the grain did not answer): connections still open are cut
    /// now, so that when the grain gives the share to another silo, this one holds nothing of it.
    /// </summary>
    private void Lapse()
    {
        CancellationTokenSource lapsed;
        lock (_lock)
        {
            if (_grant is null || _time.GetUtcNow() < _grantFrom + _grant.LeaseFor || _held == 0)
            {
                return;
            }
            (lapsed, _lapse) = (_lapse, new CancellationTokenSource());
        }
        _metrics.SiteLeasesLapsed();
        // Not disposed: a worker may register on its token a moment later (the cut then runs at once).
        lapsed.Cancel();
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private int GrantedLocked(DateTimeOffset now) => _grant is not null && now < _grantFrom + _grant.LeaseFor ? _grant.Connections : 0;

    /// <summary>The period's report, while the site has demand or open connections (their leases need renewing).</summary>
    private void Renew()
    {
        bool due;
        lock (_lock)
        {
            // Renew while connections are open or mail waits; and keep asking while actors wait for a first grant.
            due = _held > 0 || (_grant is null && _domains.Count > 0) || _domains.Values.Any(d => d.Connections > 0 || d.Messages);
        }
        if (due)
        {
            Send(followUp: false);
        }
    }

    private void ExchangeSoon() => Send(followUp: true);

    /// <summary>Asks the grain again soon (an operator changed the site's suspension).</summary>
    public void Refresh() => ExchangeSoon();

    private void Send(bool followUp)
    {
        SiteReport report;
        DateTimeOffset now;
        lock (_lock)
        {
            now = _time.GetUtcNow();
            if (_exchanging)
            {
                // One exchange at a time; a follow-up asked for meanwhile goes out when it returns.
                _followUp |= followUp;
                return;
            }
            var (domain, demand) = _domains.Count > 0 ? _domains.First() : default;
            report = new SiteReport(
                _authority.SiloName,
                domain ?? _site,
                demand?.PrimaryMx,
                _grant?.Epoch ?? Guid.Empty,
                _held,
                Math.Max(_held, _domains.Values.Sum(d => d.Connections)),
                _domains.Values.Any(d => d.Messages),
                _messages?.GiveBack(now) ?? 0,
                _newConnections?.GiveBack(now) ?? 0,
                _clean,
                _slowedDown);
            (_exchanging, _followUp, _askedConnections, _askedMessages) = (true, false, report.WantedConnections, report.WantsMessages);
        }
        // Outside the lock: an authority that answers at once runs the whole exchange right here.
        _exchange = ExchangeAsync(report, now);
    }

    private async Task ExchangeAsync(SiteReport report, DateTimeOffset sentAt)
    {
        List<Action> wakes;
        var started = _time.GetTimestamp();
        try
        {
            using var timeout = new CancellationTokenSource(_callTimeout, _time);
            var grant = await _authority.ExchangeAsync(_site, report, timeout.Token);
            _metrics.SiteExchanged(ok: true, _time.GetElapsedTime(started));
            lock (_lock)
            {
                (_grant, _grantFrom) = (grant, sentAt);
                _lapseTimer?.Dispose();
                _lapseTimer = _time.CreateTimer(_ => Lapse(), null, Max(TimeSpan.Zero, sentAt + grant.LeaseFor - _time.GetUtcNow()), Timeout.InfiniteTimeSpan);
                _messages = grant.Messages is { } m ? new RateShareBucket(m, sentAt, sentAt + grant.RateFor) : null;
                _newConnections = grant.NewConnections is { } c ? new RateShareBucket(c, sentAt, sentAt + grant.RateFor) : null;
                _clean -= report.CleanTransactions;
                if (report.SlowedDown)
                {
                    // The grain has counted it; its answer says how long the site pauses.
                    (_slowedDown, _localPauseUntil) = (false, DateTimeOffset.MinValue);
                }
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // What was granted holds until it expires; the tokens given back are not used again.
            _metrics.SiteExchanged(ok: false, _time.GetElapsedTime(started));
            ExchangeFailed(_logger, _site, exception.GetType().Name, exception.Message);
        }
        bool again;
        lock (_lock)
        {
            _exchanging = false;
            again = _followUp;
            wakes = [.. _domains.Values.Select(d => d.Wake)];
        }
        wakes.ForEach(w => w());
        if (again)
        {
            ExchangeSoon();
        }
    }

    [LoggerMessage(2030, LogLevel.Warning, "Site {Site}: no answer from its grain ({Kind}: {Reason}); granted leases hold until they expire")]
    private static partial void ExchangeFailed(ILogger logger, string site, string kind, string reason);

    private sealed record Demand(string? PrimaryMx, Action Wake, int Connections, bool Messages);

    /// <summary>
    /// A domain's view of its site's grant: <see cref="Suspended"/> is null until the first grant;
    /// <see cref="Granted"/> is 0 once the lease ran out unrenewed.
    /// </summary>
    public readonly record struct SiteStanding(bool? Suspended, DateTimeOffset PausedUntil, int Granted, int Held)
    {
        /// <summary>This silo holds more connections than granted: idle ones close.</summary>
        public bool OverGrant => Held > Granted;
    }

    /// <summary>One connection slot of the site; disposing it (after the socket closed) returns it.</summary>
    /// <param name="Lapsed">Cancelled when the silo's lease of the site ran out unrenewed: cut the connection.</param>
    /// <summary>One connection slot of the site; disposing it twice releases it once.</summary>
    public sealed class SiteConnectionLease(SiteLimiter owner, CancellationToken lapsed) : IDisposable
    {
        private int _released;

        public CancellationToken Lapsed => lapsed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release();
            }
        }
    }
}
