using System.Diagnostics.Metrics;

namespace MailCluster.Delivery.Outcomes;

/// <summary>Delivery instruments (meter <c>MailCluster.Delivery</c>); the domain label goes through <see cref="DomainLabel"/>.</summary>
internal sealed class DeliveryMetrics : IDisposable
{
    public const string MeterName = "MailCluster.Delivery";

    private readonly Meter _meter;
    private readonly DomainLabel _label;
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _replies;
    private readonly Counter<long> _throttleWaits;
    private readonly Counter<long> _backoffs;
    private readonly Counter<long> _suspendedHolds;
    private readonly Counter<long> _siteExchanges;
    private readonly Histogram<double> _siteExchangeDuration;
    private readonly Counter<long> _siteLeases;
    private readonly Counter<long> _siteLapses;
    private readonly Counter<long> _siteCuts;
    private readonly Counter<long> _sourceFailures;
    private readonly Counter<long> _dsns;
    private readonly Counter<long> _dsnBytes;
    private readonly Counter<long> _tlsFallbacks;
    private readonly Counter<long> _connections;
    private readonly Counter<long> _possibleDuplicates;
    private readonly Counter<long> _mtaStsFetches;
    private readonly Counter<long> _mtaStsChecks;
    private readonly Counter<long> _logLinesLost;
    private readonly Histogram<double> _timeInQueue;

    public DeliveryMetrics(IMeterFactory meterFactory, DomainLabel label)
    {
        _label = label;
        _meter = meterFactory.Create(MeterName);
        _attempts = _meter.CreateCounter<long>("mailcluster.delivery.attempts", "{recipient}", "Recipient attempts by outcome (delivered, deferred, bounced, expired) and, for failures, category (InvalidRecipient, BadDomain, InactiveMailbox, QuotaIssues, PolicyRelated, SpamRelated, AuthenticationFailure, ContentRelated, RateLimited, Greylisted, MessageExpired, ProtocolError, Unclassified; none for deliveries).");
        _replies = _meter.CreateCounter<long>("mailcluster.delivery.replies", "{reply}", "Remote reply classes (2xx, 4xx, 5xx, none) per recipient attempt.");
        _throttleWaits = _meter.CreateCounter<long>("mailcluster.delivery.throttle.waits", "{wait}", "Times a domain waited for its message or connection rate.");
        _backoffs = _meter.CreateCounter<long>("mailcluster.delivery.backoffs", "{backoff}", "Adaptive backoffs after 421, 4.7.x or failed connections.");
        _siteExchanges = _meter.CreateCounter<long>("mailcluster.site.exchanges", "{call}", "Calls to site grains (one per silo, site and period), by outcome: ok, failed (timeout, unreachable).");
        _siteExchangeDuration = _meter.CreateHistogram<double>("mailcluster.site.exchange.duration", "s", "Latency of calls to site grains.");
        _siteLapses = _meter.CreateCounter<long>("mailcluster.site.lease_lapses", "{lapse}", "Site leases that ran out unrenewed (no answer from the grain) while connections were open; no new transaction starts on them, the one in flight finishes within the lapse grace, then they close.");
        _siteCuts = _meter.CreateCounter<long>("mailcluster.site.lapse_cuts", "{connection}", "Connections cut mid-transaction because their site's lease stayed unrenewed past the lapse grace (the grain gives their room to other silos then); their recipients are deferred.");
        _siteLeases = _meter.CreateCounter<long>("mailcluster.site.connection_leases", "{lease}", "Connection slots asked of this silo's site grants, by outcome: granted, denied (no room or no token).");
        _suspendedHolds = _meter.CreateCounter<long>("mailcluster.delivery.suspended.holds", "{wake}", "Times a suspended domain's actor was told of due mail and held it.");
        _connections = _meter.CreateCounter<long>("mailcluster.delivery.connections", "{connection}", "SMTP sessions opened to MX hosts, by domain, source and TLS: verified (certificate and name checked), encrypted (unverified), none (plaintext).");
        _sourceFailures = _meter.CreateCounter<long>("mailcluster.delivery.source_failures", "{connection}", "Connections a source could not make at all, by source and stage: bind (its address is not on this host), proxy (its SOCKS5 proxy failed).");
        _tlsFallbacks = _meter.CreateCounter<long>("mailcluster.delivery.tls.fallbacks", "{connection}", "Opportunistic STARTTLS handshakes that failed, after which the host was retried in plaintext.");
        _mtaStsFetches = _meter.CreateCounter<long>("mailcluster.delivery.mta_sts.fetches", "{fetch}", "MTA-STS policy fetches by domain and result: fetched, failed (no host, TLS, HTTP status, media type, size, syntax).");
        _mtaStsChecks = _meter.CreateCounter<long>("mailcluster.delivery.mta_sts.checks", "{host}", "MX hosts checked against a domain's MTA-STS policy, by mode (enforce, testing) and result: valid, mx_mismatch (not in the policy), tls_failed (no STARTTLS or no verified certificate). In testing mode failures are delivered anyway.");
        _dsns = _meter.CreateCounter<long>("mailcluster.delivery.dsn.generated", "{message}", "Delivery status notifications spooled.");
        _dsnBytes = _meter.CreateCounter<long>("mailcluster.delivery.dsn.size", "By", "Bytes of the delivery status notifications spooled (taken from the spool's room, up to half its reserve).");
        _possibleDuplicates = _meter.CreateCounter<long>("mailcluster.delivery.possible_duplicates", "{recipient}", "Recipients retried after a connection lost between end of data and the reply.");
        _logLinesLost = _meter.CreateCounter<long>("mailcluster.delivery.log.lines_lost", "{line}", "Delivery log lines not written: the buffer was full or the log's disk failed (the spool's outcomes are unaffected).");
        _timeInQueue = _meter.CreateHistogram<double>("mailcluster.delivery.time_in_queue", "s", "Time from acceptance to delivery or bounce.");
    }

    /// <summary>Live per-domain state, read at collection time (connections, backoff).</summary>
    public void ObserveDomains(Func<IEnumerable<(string Domain, int Connections, bool BackingOff)>> domains)
    {
        _meter.CreateObservableGauge("mailcluster.delivery.connections.active", () =>
            domains().GroupBy(d => _label.For(d.Domain)).Select(g => new Measurement<int>(g.Sum(d => d.Connections), Tag(g.Key))), "{connection}", "Open SMTP connections per domain.");
        _meter.CreateObservableGauge("mailcluster.delivery.backoff.active", () =>
            domains().GroupBy(d => _label.For(d.Domain)).Select(g => new Measurement<int>(g.Any(d => d.BackingOff) ? 1 : 0, Tag(g.Key))), "{domain}", "1 while a domain is paused by adaptive backoff.");
    }

    /// <param name="category">What a failure means (<c>InvalidRecipient</c>, <c>Greylisted</c>...); null for a delivery (labelled <c>none</c>).</param>
    public void Attempt(string domain, string outcome, string replyClass, TimeSpan? timeInQueue, string? category)
    {
        var label = Tag(_label.For(domain));
        _attempts.Add(1, label, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("category", category ?? "none"));
        _replies.Add(1, label, new KeyValuePair<string, object?>("class", replyClass));
        if (timeInQueue is { } t)
        {
            _timeInQueue.Record(t.TotalSeconds, label);
        }
    }

    public void ThrottleWait(string domain) => _throttleWaits.Add(1, Tag(_label.For(domain)));

    public void BackedOff(string domain) => _backoffs.Add(1, Tag(_label.For(domain)));

    public void SiteExchanged(bool ok, TimeSpan latency)
    {
        _siteExchanges.Add(1, new KeyValuePair<string, object?>("outcome", ok ? "ok" : "failed"));
        _siteExchangeDuration.Record(latency.TotalSeconds);
    }

    public void SiteLease(bool granted) => _siteLeases.Add(1, new KeyValuePair<string, object?>("outcome", granted ? "granted" : "denied"));

    public void SiteLeasesLapsed() => _siteLapses.Add(1);

    public void SiteConnectionsCut(int connections) => _siteCuts.Add(connections);

    public void SuspendedHold(string domain) => _suspendedHolds.Add(1, Tag(_label.For(domain)));

    public void DsnGenerated(long bytes)
    {
        _dsns.Add(1);
        _dsnBytes.Add(bytes);
    }

    public void Connected(string domain, string source, string tls) =>
        _connections.Add(1, Tag(_label.For(domain)), new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("tls", tls));

    /// <summary>A source could not send at all (<paramref name="stage"/>: bind, proxy): its connection failed before reaching a host.</summary>
    public void SourceFailed(string source, string stage) =>
        _sourceFailures.Add(1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("stage", stage));

    public void TlsFallback(string domain) => _tlsFallbacks.Add(1, Tag(_label.For(domain)));

    public void MtaStsFetch(string domain, string result) => _mtaStsFetches.Add(1, Tag(_label.For(domain)), new KeyValuePair<string, object?>("result", result));

    public void MtaStsCheck(string domain, string mode, string result) =>
        _mtaStsChecks.Add(1, Tag(_label.For(domain)), new KeyValuePair<string, object?>("mode", mode), new KeyValuePair<string, object?>("result", result));

    public void PossibleDuplicate(int recipients) => _possibleDuplicates.Add(recipients);

    public void LogLinesLost(int lines) => _logLinesLost.Add(lines);

    public void Dispose() => _meter.Dispose();

    private static KeyValuePair<string, object?> Tag(string domain) => new("domain", domain);
}
