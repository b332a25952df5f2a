using MailCluster.Cluster.Sites;

namespace MailCluster.Delivery.Sites;

/// <summary>
/// The last grant of a site's grain and the rate shares it brought. Every duration counts from
/// when its report was sent, on this silo's clock, so a lease here ends before the grain's; the
/// connection lease on the monotonic clock, so a wall clock stepped back never stretches it.
/// Not thread-safe: its <see cref="SiteLimiter"/> guards it.
/// </summary>
internal sealed class SiteGrantState(TimeProvider time)
{
    private SiteGrant? _grant;
    private DateTimeOffset _from;
    private long _fromStamp;
    private RateShareBucket? _messages;
    private RateShareBucket? _newConnections;
    private int _quota;
    private bool _quotaAsked;

    /// <summary>The epoch of the grant held; <see cref="Guid.Empty"/> before the first.</summary>
    public Guid Epoch => _grant?.Epoch ?? Guid.Empty;

    /// <summary>The grant held among its activation's, reported back so the grain stops counting the ones it replaced; 0 before the first.</summary>
    public long Sequence => _grant?.Sequence ?? 0;

    /// <summary>Until when the grain pauses the site; <see cref="DateTimeOffset.MinValue"/> when it does not.</summary>
    public DateTimeOffset PausedUntil => _grant is { PausedFor: var p } && p > TimeSpan.Zero ? _from + p : DateTimeOffset.MinValue;

    public void Apply(SiteGrant grant, DateTimeOffset sentAt, long sentStamp)
    {
        (_grant, _from, _fromStamp) = (grant, sentAt, sentStamp);
        _messages = grant.Messages is { } m ? new RateShareBucket(m, sentAt, sentAt + grant.RateFor) : null;
        _newConnections = grant.NewConnections is { } c ? new RateShareBucket(c, sentAt, sentAt + grant.RateFor) : null;
        (_quota, _quotaAsked) = (grant.WarmUp?.Messages ?? 0, false);
    }

    /// <summary>When a warming source's caps at the site renew, once its quota is spent and the grain said they have nothing left; otherwise <see cref="DateTimeOffset.MinValue"/>.</summary>
    public DateTimeOffset CappedUntil => _grant?.WarmUp is { CappedFor: var capped } && capped > TimeSpan.Zero && _quota == 0 ? _from + capped : DateTimeOffset.MinValue;

    /// <summary>What is left of the lease of the grant held (zero or less once it ended); null before the first.</summary>
    public TimeSpan? LeaseLeft => _grant is null ? null : _grant.LeaseFor - time.GetElapsedTime(_fromStamp);

    /// <summary>What is left until transactions still in flight on a lapsed lease are cut (the grain counts them until then); null before the first grant.</summary>
    public TimeSpan? CutLeft => LeaseLeft + _grant?.LapseGrace;

    /// <summary>Connections this silo may hold now: none before the first grant or once its lease ended.</summary>
    public int Connections => LeaseLeft > TimeSpan.Zero ? _grant!.Connections : 0;

    /// <summary>Null until the first grant.</summary>
    public bool? Suspended(string domain) =>
        _grant is null ? null : _grant.SiteSuspended || _grant.SuspendedDomains.Contains(domain, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A message token of this silo's share, and one of its warm-up quota when the source warms up;
    /// otherwise false and when a token accrues (null: wait for the next grant). True in
    /// <paramref name="quotaSpent"/>, once per grant, when the quota ran out while the caps had more:
    /// the silo asks for the next quota at once (the pool's shares may wait on this source).
    /// </summary>
    public bool TryTakeMessage(DateTimeOffset now, out TimeSpan? wait, out bool quotaSpent)
    {
        (wait, quotaSpent) = (null, false);
        var warmUp = _grant?.WarmUp;
        var taken = _grant is not null && (warmUp is null || _quota > 0)
            && (_grant.Messages is null || (_messages is not null && _messages.TryTake(now, out wait)));
        if (warmUp is not null && (taken ? --_quota == 0 : _quota == 0) && warmUp.CappedFor == TimeSpan.Zero && !_quotaAsked)
        {
            quotaSpent = _quotaAsked = true;
        }
        return taken;
    }

    /// <summary>A new-connection token, when the site limits how fast connections open; otherwise like <see cref="TryTakeMessage"/>.</summary>
    public bool TryTakeNewConnection(DateTimeOffset now, out TimeSpan? retryIn)
    {
        retryIn = null;
        return _grant is not null && (_grant.NewConnections is null || (_newConnections is not null && _newConnections.TryTake(now, out retryIn)));
    }

    /// <summary>The tokens and warm-up quota left, given back with a report; the shares are empty afterwards.</summary>
    public (double Messages, double NewConnections, int Quota) GiveBack(DateTimeOffset now)
    {
        var quota = _quota;
        _quota = 0;
        return (_messages?.GiveBack(now) ?? 0, _newConnections?.GiveBack(now) ?? 0, quota);
    }
}
