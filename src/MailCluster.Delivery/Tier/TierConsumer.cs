using System.Collections.Concurrent;
using MailCluster.Cluster.RetryTier;
using MailCluster.Cluster.Shaping;
using MailCluster.Cluster;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Shaping;
using MailCluster.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Tier;

/// <summary>
/// This silo as one of the competing consumers of every retry-tier partition. A partition that
/// gave entries is asked again at once, up to 32 at a time; an empty one is asked less and less
/// often, down to once a <see cref="RetryTierOptions.IdlePollInterval"/>. Receives stop while the
/// silo holds <see cref="RetryTierOptions.MaxInFlight"/> entries. Each received entry goes to its
/// domain's actor, under the same site limits as local mail; its invisibility is extended while
/// this silo holds it. Before that: an entry received too often without an attempt recorded is
/// poison (bounced, copied to the dead-letter queue), and an entry an operator bounced or deleted
/// (a tombstone) is ended.
/// </summary>
internal sealed partial class TierConsumer : BackgroundService
{
    private static readonly TimeSpan s_firstIdlePoll = TimeSpan.FromMilliseconds(250);

    private readonly IRetryTier _tier;
    private readonly DomainActorDirectory _directory;
    private readonly TierOutcomes _outcomes;
    private readonly ShapingRules _shaping;
    private readonly RetryTierOptions _options;
    private readonly RetryTierMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger _logger;
    // Each held entry with the site it counts against.
    private readonly ConcurrentDictionary<TierLease, string> _held = new();
    private readonly SiteHoldings _perSite;
    private readonly ConcurrentDictionary<Task, byte> _ending = new();
    private readonly SemaphoreSlim _room = new(0);
    // Domains whose entries were just put back for suspension, until when: a partition that gives only those is polled as if empty.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _suspended = new(StringComparer.OrdinalIgnoreCase);
    private readonly TierReachability _calls;
    private readonly TierTombstones _tombstones;
    private readonly TierLeaseKeeper _leases;
    private readonly ClusterTimings _timings;

    public TierConsumer(
        IRetryTier tier, DomainActorDirectory directory, TierOutcomes outcomes, ShapingRules shaping, RetryTierOptions options, RetryTierMetrics metrics,
        ClusterTimings timings, TimeSpan tombstoneLifetime, LocalOperatorActions spool, TimeProvider time, IHostApplicationLifetime lifetime, ILogger logger)
    {
        _timings = timings;
        _tier = tier;
        _directory = directory;
        _outcomes = outcomes;
        _shaping = shaping;
        _options = options;
        _metrics = metrics;
        _time = time;
        _lifetime = lifetime;
        _logger = logger;
        _calls = new TierReachability(logger);
        _perSite = new SiteHoldings(options.MaxInFlightPerSite);
        _tombstones = new TierTombstones(tier, _calls, t => spool.ApplyAsync(t, CancellationToken.None), metrics, timings, tombstoneLifetime, time, logger);
        _leases = new TierLeaseKeeper(tier, _calls, options, metrics, time);
        _outcomes.HeldForSuspension += domain => _suspended[domain] = _time.GetUtcNow() + _options.HoldInterval;
    }

    /// <summary>Entries this silo holds now.</summary>
    public int Held => _held.Count;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // From the first moment of shutdown, entries handed back are due at once, for the other silos.
        _lifetime.ApplicationStopping.Register(() => _outcomes.Stopping = true);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await Task.WhenAll(_ending.Keys).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Receiving ends when shutdown begins; extending leases goes on until the actors have handed their entries back.
        using var receiving = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _lifetime.ApplicationStopping);
        await Task.WhenAll(ReceiveAsync(receiving.Token), _tombstones.RunAsync(receiving.Token), _leases.RunAsync(() => _held.Keys, stoppingToken));
    }

    private async Task ReceiveAsync(CancellationToken stopping)
    {
        var partitions = new Dictionary<string, (DateTimeOffset Next, TimeSpan Interval)>(StringComparer.Ordinal);
        var listedAt = DateTimeOffset.MinValue;
        while (!stopping.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            // Partitions appear when the first entry is written to them: looked for every poll while there are none.
            var listEvery = partitions.Count == 0 ? _options.IdlePollInterval : _timings.TierPartitionsRefresh;
            if (now - listedAt >= listEvery && await _calls.TryAsync("list", () => _tier.PartitionsAsync(stopping)) is (true, var listed))
            {
                listedAt = now;
                foreach (var name in listed.Where(n => !partitions.ContainsKey(n)))
                {
                    partitions[name] = (now, s_firstIdlePoll);
                }
            }
            foreach (var (name, (next, interval)) in partitions.ToList())
            {
                var room = _options.MaxInFlight - _held.Count;
                if (next > now || room <= 0)
                {
                    continue;
                }
                var (ok, received) = await _calls.TryAsync("receive", () => _tier.ReceiveAsync(name, Math.Min(_timings.TierReceiveBatch, room), _options.VisibilityLease, stopping));
                // Entries of suspended domains only (they go straight back) do not make a partition busy:
                // without this, a suspended domain's backlog would cycle through receive and put-back nonstop.
                var busy = ok && received.Count > 0 && !received.All(e => IsSuspended(e.Entry.Domain, now));
                var wait = !ok ? _options.IdlePollInterval
                    : busy ? TimeSpan.Zero
                    : Min(interval * 2, _options.IdlePollInterval);
                partitions[name] = (now + wait, busy ? s_firstIdlePoll : wait);
                foreach (var entry in ok ? received : [])
                {
                    Admit(entry, now);
                }
            }
            await SleepAsync(partitions.Count == 0 ? _options.IdlePollInterval : partitions.Values.Min(p => p.Next) - _time.GetUtcNow(), stopping);
        }
    }

    /// <summary>Sleeps until the next partition is due, or until an entry this silo held ends (room to receive again).</summary>
    private async Task SleepAsync(TimeSpan wait, CancellationToken stopping)
    {
        if (wait <= TimeSpan.Zero && _held.Count < _options.MaxInFlight)
        {
            return;
        }
        using var timeout = new CancellationTokenSource(wait > TimeSpan.Zero ? wait : _options.IdlePollInterval, _time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
        try
        {
            await _room.WaitAsync(either.Token);
        }
        catch (OperationCanceledException)
        {
            // Shutdown.
        }
    }

    private void Admit(ReceivedEntry received, DateTimeOffset now)
    {
        var lease = new TierLease(received, now, Ended);
        var entry = received.Entry;
        var shaping = _shaping.Resolve(entry.Domain, primaryMx: null);
        var counted = _perSite.TryHold(shaping.SiteKey);
        _held.TryAdd(lease, counted ? shaping.SiteKey : "");
        if (!counted)
        {
            // The site holds its bound already (backoff, suspension, a slow MX): back for a hold, for whoever has room.
            Track(_outcomes.ReleaseAsync(lease, lease.Jobs(int.MaxValue).Single().Recipients, "site_full"));
            return;
        }
        if (entry.Recipients.Count == 0)
        {
            // Every recipient was finished by a holder whose rewrite did not go through.
            Track(_outcomes.DeleteAsync(lease, "delivered"));
            return;
        }
        if (received.UnrecordedReceives >= _options.MaxUnrecordedReceives)
        {
            Poisoned(_logger, entry.Id, entry.Domain, entry.Message.QueueId, received.UnrecordedReceives);
            _metrics.Poisoned();
            Track(PoisonAsync(lease));
            return;
        }
        if (_tombstones.Matching(entry) is { } tombstone)
        {
            Track(tombstone.Bounce
                ? _outcomes.BounceAsync(lease, DeliveryOutcomeClassifier.BouncedByOperator(), "bounced")
                : _outcomes.DeleteAsync(lease, "deleted"));
            return;
        }
        foreach (var job in lease.Jobs(shaping.MaxRecipientsPerTransaction))
        {
            if (!_directory.Offer(entry.Domain, job))
            {
                Track(_outcomes.ReleaseAsync(lease, job.Recipients, "stopping"));
            }
        }
    }

    private async Task PoisonAsync(TierLease lease)
    {
        var reason = $"received {lease.Received.DequeueCount} times, {lease.Received.UnrecordedReceives} of them without an attempt recorded";
        try
        {
            await _tier.DeadLetterAsync(lease.Received, reason, CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The bounce still goes: it says why, and the log has the entry.
            DeadLetterFailed(_logger, lease.Entry.Id, exception.Message);
        }
        await _outcomes.BounceAsync(lease, DeliveryOutcomeClassifier.Poisoned(reason), "poison");
    }

    private bool IsSuspended(string domain, DateTimeOffset now) => _suspended.TryGetValue(domain, out var until) && until > now;

    private void Ended(TierLease lease)
    {
        if (_held.TryRemove(lease, out var site) && site.Length > 0)
        {
            _perSite.Release(site);
        }
        if (_room.CurrentCount == 0)
        {
            _room.Release();
        }
    }

    private void Track(Task task)
    {
        _ending.TryAdd(task, 0);
        task.ContinueWith(t => _ending.TryRemove(t, out _), TaskScheduler.Default);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(2413, LogLevel.Warning, "Retry tier entry {EntryId} could not be copied to the dead-letter queue (its bounce still goes): {Reason}")]
    private static partial void DeadLetterFailed(ILogger logger, string entryId, string reason);

    [LoggerMessage(2412, LogLevel.Error, "Retry tier entry {EntryId} ({Domain}, message {QueueId}) is poison: {Unrecorded} receives without an attempt recorded; bounced and copied to the dead-letter queue")]
    private static partial void Poisoned(ILogger logger, string entryId, string domain, string queueId, long unrecorded);
}
