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

    /// <summary>Takes a seat under <paramref name="shaping"/>; workers already open keep their old site's slot until they close.</summary>
    public void Take(DomainShaping shaping, string? primaryMx)
    {
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

    private async Task ResolveByMxAsync(CancellationToken stopping)
    {
        string? mx = null;
        try
        {
            mx = await runtime.Connector.PrimaryMxAsync(mailbox.Domain, stopping);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Without the MX name the domain still gets its exact, wildcard or default limits.
            Log.ActorFault(runtime.Logger, mailbox.Domain, exception);
        }
        await mailbox.PostAsync(new DomainCommand.ShapingResolved(runtime.Shaping.Resolve(mailbox.Domain, mx), mx));
    }
}
