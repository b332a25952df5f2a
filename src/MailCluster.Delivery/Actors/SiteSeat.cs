using System.Diagnostics.CodeAnalysis;
using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain actor's limits and its seat at their site: resolving the domain's shaping (after a
/// lookup of its primary MX when rules match by MX suffix), joining and leaving the site's
/// <see cref="SiteLimiter"/>, and what the domain asks of it and tells it. Touched only by the
/// actor's loop.
/// </summary>
internal sealed class SiteSeat(IDomainMailbox mailbox, DeliveryRuntime runtime)
{
    private const int LookupsBeforeOwnLimits = 3;
    private static readonly TimeSpan s_firstLookupRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_longestLookupRetry = TimeSpan.FromMinutes(5);

    private SiteLimiter? _limiter;

    public DomainShaping? Shaping { get; private set; }

    /// <summary>The site's grant as last read: what the actor's snapshot publishes.</summary>
    public SiteStanding Standing { get; private set; }

    /// <summary>The domain has its limits and a site to ask; until then nothing is allowed.</summary>
    [MemberNotNullWhen(true, nameof(Shaping))]
    public bool Seated => Shaping is not null && _limiter is not null;

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

    /// <summary>Takes a seat under <paramref name="shaping"/> (or moves to it); workers already open keep their old site's slot until they close.</summary>
    public void Take(DomainShaping shaping, string? primaryMx)
    {
        if (Seated && Shaping == shaping)
        {
            return;
        }
        Shaping = shaping;
        Leave();
        _limiter = runtime.Sites.Join(shaping.SiteKey, mailbox.Domain, primaryMx, () => mailbox.TryPost(new DomainCommand.Tick()));
    }

    public void Leave()
    {
        if (_limiter is not null)
        {
            runtime.Sites.Leave(_limiter, mailbox.Domain);
            _limiter = null;
        }
    }

    /// <summary>Reads where the site stands for the domain now, and keeps it as <see cref="Standing"/>.</summary>
    public SiteStanding Read(DateTimeOffset now) => Standing = _limiter!.Standing(mailbox.Domain, now);

    public void Want(int connections, bool messages) => _limiter!.Want(mailbox.Domain, connections, messages);

    public bool TryTakeMessage(DateTimeOffset now, out TimeSpan? wait) => _limiter!.TryTakeMessage(now, out wait);

    public bool TryAcquireConnection(DateTimeOffset now, [NotNullWhen(true)] out SiteConnectionLease? lease, out TimeSpan? retryIn) =>
        _limiter!.TryAcquireConnection(now, out lease, out retryIn);

    /// <summary>An operator changed the suspension at the site's grain: ask it again now.</summary>
    public void Refresh() => _limiter?.Refresh();

    /// <summary>How a transaction went, for the site: a slow-down backs it off, a clean one helps its budget recover.</summary>
    public void Finished(JobResult result)
    {
        if (result.Outcomes.FirstOrDefault(o => o.SlowDown) is { } signal)
        {
            BackOff(signal.Reason);
        }
        else if (result.Outcomes.All(o => o.Verdict == DeliveryVerdict.Delivered))
        {
            _limiter?.Clean();
        }
    }

    public void BackOff(string reason)
    {
        _limiter?.SlowedDown(runtime.Time.GetUtcNow(), Shaping!.BackoffPeriod);
        runtime.Metrics.BackedOff(mailbox.Domain);
        Log.BackingOff(runtime.Logger, mailbox.Domain, Shaping!.BackoffPeriod, reason);
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
