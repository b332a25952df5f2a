using MailCluster.Cluster;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Outcomes;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Sites;

/// <summary>
/// The calls from this silo to one site's grain: one per period while the holder says renewal is
/// due, and one soon when asked (demand grew, a slow-down, an operator's change). One call at a
/// time; a call asked for meanwhile goes out when it returns. With no answer, the holder keeps
/// what it was granted, until that expires.
/// </summary>
internal sealed partial class SiteExchange : IDisposable
{
    private readonly Lock _lock = new();
    private readonly string _site;
    private readonly ISiteGrantHolder _holder;
    private readonly ISiteAuthority _authority;
    private readonly TimeProvider _time;
    private readonly DeliveryMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeSpan _callTimeout;
    private readonly ITimer _timer;
    private bool _exchanging;
    private bool _followUp;
    private Task _inFlight = Task.CompletedTask;

    public SiteExchange(string site, ISiteGrantHolder holder, ISiteAuthority authority, TimeProvider time, DeliveryMetrics metrics, ILogger logger, ClusterTimings timings)
    {
        _site = site;
        _holder = holder;
        _authority = authority;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _callTimeout = timings.SiteCallTimeout;
        _timer = time.CreateTimer(_ => Renew(), null, timings.SiteExchangePeriod, timings.SiteExchangePeriod);
    }

    /// <summary>The exchange in flight, if any (shutdown waits for it).</summary>
    public Task InFlight => _inFlight;

    /// <summary>Asks the grain now, or as soon as the exchange in flight returns.</summary>
    public void Soon() => Send(followUp: true);

    public void Dispose() => _timer.Dispose();

    private void Renew()
    {
        if (_holder.RenewalDue)
        {
            Send(followUp: false);
        }
    }

    private void Send(bool followUp)
    {
        SiteReport report;
        DateTimeOffset now;
        long stamp;
        lock (_lock)
        {
            if (_exchanging)
            {
                _followUp |= followUp;
                return;
            }
            (now, stamp) = (_time.GetUtcNow(), _time.GetTimestamp());
            report = _holder.Report(now);
            (_exchanging, _followUp) = (true, false);
        }
        // Outside the lock: an authority that answers at once runs the whole exchange right here.
        _inFlight = ExchangeAsync(report, now, stamp);
    }

    private async Task ExchangeAsync(SiteReport report, DateTimeOffset sentAt, long sentStamp)
    {
        var started = _time.GetTimestamp();
        try
        {
            using var timeout = new CancellationTokenSource(_callTimeout, _time);
            var grant = await _authority.ExchangeAsync(_site, report, timeout.Token);
            _metrics.SiteExchanged(ok: true, _time.GetElapsedTime(started));
            _holder.Granted(report, grant, sentAt, sentStamp);
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
            (_exchanging, again) = (false, _followUp);
        }
        _holder.ExchangeEnded();
        if (again)
        {
            Soon();
        }
    }

    [LoggerMessage(2030, LogLevel.Warning, "Site {Site}: no answer from its grain ({Kind}: {Reason}); granted leases hold until they expire")]
    private static partial void ExchangeFailed(ILogger logger, string site, string kind, string reason);
}
