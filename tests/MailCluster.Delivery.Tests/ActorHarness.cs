using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using MailCluster.Cluster;
using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Responses;
using MailCluster.Delivery.Retry;
using MailCluster.Delivery.Shaping;
using MailCluster.Delivery.Sites;
using MailCluster.Delivery.Suppression;
using MailCluster.Delivery.Tier;
using MailCluster.Events;
using MailCluster.Hosting;
using MailCluster.Mime.Dkim;
using MailCluster.Mime.Dsn;
using MailCluster.Mime.Headers;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;
using MailCluster.Spool.Sqlite;
using MailCluster.Testing.IO;
using MailCluster.Testing.Spool;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Delivery.Tests;

/// <summary>
/// Domain actors over a real SQLite spool and a fake clock; the MX side is a scripted connector
/// whose sends wait on a gate the test opens, so concurrency and pacing can be observed exactly.
/// </summary>
internal sealed class ActorHarness : IAsyncDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _directory = new();
    private readonly TestMeterFactory _meters = new();
    private readonly DeliveryLog _log;
    private int _sequence;

    /// <param name="shaping">The shaping rules.</param>
    /// <param name="dkimKeys">DKIM keys for the DSNs the harness writes (none by default).</param>
    /// <param name="dsnWindow">How long a message's failures gather into one DSN; none by default, so a test sees its DSN at once.</param>
    /// <param name="egress">Sources and pools; by default the implicit source alone.</param>
    /// <param name="time">The clock, shared by harnesses that play several silos; by default a clock of its own.</param>
    /// <param name="sites">Another harness's site grains, to play one more silo of its cluster (<see cref="LedgerSiteAuthority.AsSilo"/>).</param>
    /// <param name="events">Outcomes carry their delivery events into the spool's journal (as with a sink configured).</param>
    public ActorHarness(
        ShapingOptions shaping, DkimKeyRing? dkimKeys = null, TimeSpan? dsnWindow = null, EgressOptions? egress = null, FakeTimeProvider? time = null, LedgerSiteAuthority? sites = null,
        bool events = false)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        Drain = new DrainDeadline(TimeSpan.FromSeconds(30), Time);
        Spool = TestSpool.Open(new SpoolOptions { Path = _directory.Path }, _meters, Time);
        var options = new DeliveryOptions
        {
            HeloName = "silo.test",
            ActorIdleTimeout = TimeSpan.FromMinutes(10),
            Dsn = new BounceOptions { CoalesceWindow = dsnWindow ?? TimeSpan.Zero, MaxReturnedContent = MaxReturnedContent },
        };
        var metrics = new DeliveryMetrics(_meters, new DomainLabel(10));
        _log = new DeliveryLog(Path.Combine(_directory.Path, "delivery.log"), metrics);
        _log.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        var bounces = Bounces = new BounceFactory(Spool, Spool, new DsnBuilder(new DsnOptions { ReportingMta = "silo.test", MaxReturnedContent = MaxReturnedContent }, Time, new MessageIdGenerator(Time, new Random(1))), new MessageSigner(dkimKeys ?? new DkimKeyRing([], null), Time), new QueueIdGenerator(Time, new Random(2)), Trigger, metrics);
        Suppressions = new SuppressionList(new FileSuppressionStore(Path.Combine(_directory.Path, FileSuppressionStore.FileName)), new SuppressionOptions(), Time, NullLogger.Instance);
        var recorder = events ? Events() : null;
        _recorderFor = tier => new AttemptRecorder(Spool, new RetryPolicy(options.Retry, new Random(3)), options, bounces, _log, metrics, Suppressions, Time, NullLogger<AttemptRecorder>.Instance, tier is null ? recorder : Events(), tier);
        Recorder = _recorderFor(null);
        var rules = new ShapingRules(shaping);
        Sites = sites ?? new LedgerSiteAuthority(rules, Time);
        SourceRecords = new LedgerSourceAuthority(Time);
        Egress = EgressPlan.From(egress ?? new EgressOptions(), options.HeloName);
        Runtime = new DeliveryRuntime(
            Spool, Connector, rules, new SiteLimiterRegistry(Sites, Time, metrics, NullLoggerFactory.Instance, ClusterTimings.Defaults), Egress, Responses, Activity, Recorder, options, metrics, Time, NullLogger.Instance, Drain);
        Directory = new DomainActorDirectory(Runtime);
        Queue = new QueueOperations(Spool, Spool, Directory, rules, Connector, Sites, SourceRecords, Egress, Responses, Recorder, Trigger, Time, NullLogger.Instance);
    }

    /// <summary>The largest original a DSN returns whole (Delivery:Dsn:MaxReturnedContent).</summary>
    public const long MaxReturnedContent = 64 * 1024;

    public AttemptRecorder Recorder { get; }

    private readonly Func<TierOutcomes?, AttemptRecorder> _recorderFor;

    /// <summary>A recorder of retry-tier entries' outcomes through <paramref name="tier"/>, with events, over the harness's parts.</summary>
    public AttemptRecorder RecorderFor(TierOutcomes tier) => _recorderFor(tier);

    private EventRecorder Events() => new(new EventsOptions { Sinks = [new EventSinkOptions { Name = "hooks" }] }, Spool, "silo-test");

    public EgressPlan Egress { get; }

    /// <summary>The SIGTERM deadline (30 s once started) after which transactions in flight are cut.</summary>
    public DrainDeadline Drain { get; }

    /// <summary>Writes DSNs into the harness's spool.</summary>
    public BounceFactory Bounces { get; }

    /// <summary>What the harness's actors share, for tests of an actor's parts on their own.</summary>
    public DeliveryRuntime Runtime { get; }

    /// <summary>The suppression list hard bounces go to (its file in the harness's spool directory).</summary>
    public SuppressionList Suppressions { get; }

    /// <summary>The site grains' rules, answered in process (one silo, no Orleans transport).</summary>
    public LedgerSiteAuthority Sites { get; }

    /// <summary>The egress sources' activity and suspensions, kept as their grains keep them.</summary>
    public LedgerSourceAuthority SourceRecords { get; }

    /// <summary>The response rules in force (none unless a test puts some in).</summary>
    public ResponseRules Responses { get; } = new(NullLogger.Instance);

    /// <summary>What the actors' connections did per (source, site) since the last report.</summary>
    public SourceActivity Activity { get; } = new();

    /// <summary>What an operator can do, over this harness's spool and actors.</summary>
    public QueueOperations Queue { get; }

    /// <summary>Moves the clock a second at a time, so that every periodic renewal happens at its own moment.</summary>
    public void AdvanceBySeconds(int seconds)
    {
        for (var i = 0; i < seconds; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    public FakeTimeProvider Time { get; }

    public ISpool Spool { get; }

    public ScriptedConnector Connector { get; } = new();

    public DeliveryTrigger Trigger { get; } = new();

    public DomainActorDirectory Directory { get; }

    public Task EnqueueAsync(string recipient, string? pool = null) =>
        EnqueueAsync([recipient], DsnReturn.Unspecified, Encoding.ASCII.GetBytes("Subject: t\r\n\r\nbody\r\n"), pool);

    /// <summary>One message to all <paramref name="recipients"/>, through <paramref name="pool"/> (null: the default); returns its queue id.</summary>
    public async Task<string> EnqueueAsync(IReadOnlyList<string> recipients, DsnReturn ret, byte[] content, string? pool = null)
    {
        var envelope = new SpoolEnvelope(
            new SpoolMessage($"Q{Interlocked.Increment(ref _sequence):D6}", "sender@client.test", Time.GetUtcNow(), Size: content.Length, null, ret, false, false, pool),
            [.. recipients.Select(r => new EnvelopeRecipient(r, r[(r.IndexOf('@') + 1)..], DsnNotify.Unspecified, null))]);
        await Spool.EnqueueAsync(envelope, new ReadOnlySequence<byte>(content), CancellationToken.None);
        return envelope.Message.QueueId;
    }

    /// <summary>Waits for the spool to reach a state; the actors work on the thread pool, so this is bounded polling of real state.</summary>
    public Task WaitForAsync(Func<SpoolCounts, bool> condition) =>
        WaitUntilAsync(async () => condition(await Spool.CountAsync(CancellationToken.None)));

    public async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(s_wait);
        while (!await condition())
        {
            await Connector.Changed.WaitAsync(TimeSpan.FromMilliseconds(50), deadline.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            deadline.Token.ThrowIfCancellationRequested();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Connector.OpenAll();
        await Directory.StopAsync();
        await Spool.DisposeAsync();
        await _log.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _meters.Dispose();
        Suppressions.Dispose();
        Trigger.Dispose();
        _directory.Dispose();
    }
}

/// <summary>
/// The MX side for actor tests: counts connections (now and at most), and answers each recipient
/// from its local part: <c>slow</c> gets 421 4.7.0 the first time, <c>reject</c> 550 5.1.1, anything else 250.
/// Sends wait for the gate unless it is open.
/// </summary>
internal sealed class ScriptedConnector : IMxConnector
{
    private readonly ConcurrentQueue<TaskCompletionSource> _gates = new();
    private readonly ConcurrentDictionary<string, bool> _slowedDown = new();
    private volatile bool _open;
    private int _current;
    private int _max;
    private int _connects;
    private int _sends;

    public SemaphoreSlim Changed { get; } = new(0);

    public SemaphoreSlim SendStarted { get; } = new(0);

    public int MaxConcurrent => Volatile.Read(ref _max);

    public int Connects => Volatile.Read(ref _connects);

    /// <summary>Connections open now (connected, not yet disposed).</summary>
    public int Open => Volatile.Read(ref _current);

    public int Sends => Volatile.Read(ref _sends);

    /// <summary>Connections cut (at the SIGTERM deadline); a cut fails the sends waiting on the gate.</summary>
    public int Aborts { get; private set; }

    private void Abort()
    {
        Aborts++;
        while (_gates.TryDequeue(out var gate))
        {
            gate.TrySetException(new IOException("connection aborted"));
        }
    }

    /// <summary>Lets every waiting and future send complete.</summary>
    public void OpenAll()
    {
        _open = true;
        while (_gates.TryDequeue(out var gate))
        {
            gate.TrySetResult();
        }
    }

    /// <summary>MX lookups that fail as a SERVFAIL does before they answer.</summary>
    public int FailingMxLookups { get; set; }

    public Task<string?> PrimaryMxAsync(string domain, CancellationToken cancellationToken) =>
        FailingMxLookups-- > 0 ? Task.FromException<string?>(new MxLookupFailedException($"SERVFAIL for {domain}")) : Task.FromResult<string?>($"mx.{domain}");

    /// <summary>Sources whose every connection fails as a host answering 421 at the greeting does.</summary>
    public ConcurrentDictionary<string, bool> BlockedSources { get; } = new();

    /// <summary>Transactions sent, by source.</summary>
    public ConcurrentDictionary<string, int> SendsBySource { get; } = new();

    /// <summary>Connections tried, by source.</summary>
    public ConcurrentDictionary<string, int> ConnectsBySource { get; } = new();

    public Task<ConnectResult> ConnectAsync(string domain, DomainShaping shaping, EgressSource source, CancellationToken cancellationToken)
    {
        ConnectsBySource.AddOrUpdate(source.Name, 1, (_, n) => n + 1);
        if (BlockedSources.ContainsKey(source.Name))
        {
            Changed.Release();
            return Task.FromResult(new ConnectResult(null, DeliveryOutcomeClassifier.ConnectionFailed($"mx.test[192.0.2.1]: greeting 421 4.7.0 {source.Name} is blocked")));
        }
        Interlocked.Increment(ref _connects);
        var now = Interlocked.Increment(ref _current);
        int seen;
        while ((seen = Volatile.Read(ref _max)) < now && Interlocked.CompareExchange(ref _max, now, seen) != seen)
        {
        }
        return Task.FromResult(new ConnectResult(new Connection(this, source.Name), null));
    }

    private async Task<JobResult> SendAsync(DeliveryJob job, string source)
    {
        Interlocked.Increment(ref _sends);
        SendsBySource.AddOrUpdate(source, 1, (_, n) => n + 1);
        SendStarted.Release();
        if (!_open)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _gates.Enqueue(gate);
            if (_open)
            {
                gate.TrySetResult();
            }
            await gate.Task;
        }
        var outcomes = job.Recipients.Select(r => DeliveryOutcomeClassifier.FromReply(Reply(r.Address), SmtpPhase.Rcpt)).ToArray();
        Changed.Release();
        return new JobResult(job, outcomes, new MxEndpoint("mx.test", "192.0.2.1", null, source), TimeSpan.FromMilliseconds(1), ConnectionUsable: true);
    }

    private SmtpReply Reply(string address) => address.Split('@')[0] switch
    {
        "slow" when _slowedDown.TryAdd(address, true) => new SmtpReply(421, new EnhancedStatusCode(4, 7, 0), "slow down"),
        "reject" => new SmtpReply(550, new EnhancedStatusCode(5, 1, 1), "no such user"),
        _ => new SmtpReply(250, new EnhancedStatusCode(2, 0, 0), "ok"),
    };

    private sealed class Connection(ScriptedConnector owner, string source) : IMxConnection
    {
        public MxEndpoint Endpoint { get; } = new("mx.test", "192.0.2.1", null, source);

        public Task<JobResult> SendAsync(DeliveryJob job, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => owner.SendAsync(job, source);

        public Task CloseAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Abort() => owner.Abort();

        public ValueTask DisposeAsync()
        {
            Interlocked.Decrement(ref owner._current);
            owner.Changed.Release();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>
/// The site grains' rules for a single silo without an Orleans cluster: one <see cref="SiteLedger"/>
/// per site, called directly, as the grain would call it (the grain itself is tested in
/// <c>DomainGrainTests</c> on an in-process cluster).
/// </summary>
internal sealed class LedgerSiteAuthority(ShapingRules rules, TimeProvider time, string siloName = "test-silo", Dictionary<string, SiteLedger>? ledgers = null, Lock? gate = null) : ISiteAuthority
{
    // Shared with the other silos' views of the same ledgers (AsSilo), lock and all.
    private readonly Dictionary<string, SiteLedger> _ledgers = ledgers ?? new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = gate ?? new();

    public string SiloName => siloName;

    /// <summary>The same site grains, as another silo of the cluster reaches them.</summary>
    public LedgerSiteAuthority AsSilo(string name) => new(rules, time, name, _ledgers, _lock);

    public int Exchanges { get; private set; }

    /// <summary>The sites asked for grants, in the order first asked.</summary>
    public List<string> SitesAsked { get; } = [];

    /// <summary>While set, every exchange fails as a call to an unreachable grain does.</summary>
    public bool Unreachable { get; set; }

    public Task<SiteGrant> ExchangeAsync(string site, SiteReport report, CancellationToken cancellationToken)
    {
        lock (SitesAsked)
        {
            if (!SitesAsked.Contains(site))
            {
                SitesAsked.Add(site);
            }
        }
        lock (_lock)
        {
            Exchanges++;
            if (Unreachable)
            {
                return Task.FromException<SiteGrant>(new TimeoutException("the site grain did not answer"));
            }
            return Task.FromResult(Ledger(site).Exchange(report, rules.ForGrain(site, report.Domain, report.PrimaryMx), time.GetUtcNow()));
        }
    }

    public Task<bool> SuspendAsync(string site, string? domain)
    {
        lock (_lock)
        {
            return Task.FromResult(Ledger(site).Suspend(domain));
        }
    }

    public Task<bool> ResumeAsync(string site, string? domain)
    {
        lock (_lock)
        {
            return Task.FromResult(Ledger(site).Resume(domain));
        }
    }

    public Task<SiteView> ViewAsync(string site)
    {
        lock (_lock)
        {
            return Task.FromResult(Ledger(site).View(SiloName, time.GetUtcNow()));
        }
    }

    private SiteLedger Ledger(string site)
    {
        if (!_ledgers.TryGetValue(site, out var ledger))
        {
            ledger = new SiteLedger(Guid.NewGuid(), new SiteState(), time.GetUtcNow(), ClusterTimings.Defaults);
            _ledgers[site] = ledger;
        }
        return ledger;
    }
}

/// <summary>The source grains' rules (<see cref="SourceLedger"/>) in memory, one ledger per source.</summary>
internal sealed class LedgerSourceAuthority(TimeProvider time) : ISourceAuthority
{
    private readonly Dictionary<string, SourceLedger> _ledgers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    public Task ReportAsync(string source, IReadOnlyList<SiteActivity> activity)
    {
        lock (_lock)
        {
            Ledger(source).Report(time.GetUtcNow(), activity);
        }
        return Task.CompletedTask;
    }

    public Task<SourceActivityView> ViewAsync(string source)
    {
        lock (_lock)
        {
            return Task.FromResult(Ledger(source).View(time.GetUtcNow()));
        }
    }

    public Task SuspendedAsync(string source, string domain, bool suspended)
    {
        lock (_lock)
        {
            Ledger(source).Suspended(domain, suspended);
        }
        return Task.CompletedTask;
    }

    private SourceLedger Ledger(string source)
    {
        if (!_ledgers.TryGetValue(source, out var ledger))
        {
            _ledgers[source] = ledger = new SourceLedger(new SourceState());
        }
        return ledger;
    }
}
