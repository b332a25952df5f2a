using MailCluster.Cluster.RetryTier;
using MailCluster.Hosting;

namespace MailCluster.Delivery.Tier;

/// <summary>Extends each held entry once half its lease has passed (an attempt may take the RFC's 10-minute DATA wait).</summary>
internal sealed class TierLeaseKeeper(IRetryTier tier, TierReachability calls, RetryTierOptions options, RetryTierMetrics metrics, TimeProvider time)
{
    public async Task RunAsync(Func<IEnumerable<TierLease>> held, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(options.VisibilityLease / 4, time);
        while (await timer.TryWaitAsync(stopping))
        {
            var now = time.GetUtcNow();
            foreach (var lease in held().Where(l => !l.Finished && now - l.RenewedAt >= options.VisibilityLease / 2))
            {
                await ExtendAsync(lease, now);
            }
        }
    }

    private async Task ExtendAsync(TierLease lease, DateTimeOffset now)
    {
        // An entry being ended right now holds its gate: it needs no extension.
        if (!await lease.Gate.WaitAsync(0, CancellationToken.None))
        {
            return;
        }
        try
        {
            if (lease.Finished || lease.Lost)
            {
                return;
            }
            if (await calls.TryAsync("extend", () => tier.ExtendAsync(lease.Received, options.VisibilityLease, CancellationToken.None)) is (true, var kept))
            {
                lease.RenewedAt = now;
                lease.Lost = !kept;
                if (!kept)
                {
                    metrics.LostLease();
                }
            }
        }
        finally
        {
            lease.Gate.Release();
        }
    }
}
